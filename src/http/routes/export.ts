// GET /v1/workspaces/:id/export: everything the workspace may take away
// (rule 12), readable during retention and when credits are exhausted.
// Streamed: one read-only snapshot, rows sent as Postgres returns them.
import { Readable } from 'node:stream';
import type { Pool, PoolClient } from '../../db/pool';
import { listInvoices } from '../../invoices/store';
import { workspaceExportJson } from '../../ledger/workspace-export';
import { getWorkspaceView } from '../../ledger/workspace-view';
import type { App } from '../app';
import { notFound } from '../errors';
import { WorkspaceParams } from '../schemas/workspace-params';
import { invoiceJson } from './invoice-schemas';

export function exportRoutes(deps: { pool: Pool }) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id/export',
      { schema: { tags: ['workspaces'], summary: 'Everything the workspace may take away (JSON, streamed)', params: WorkspaceParams } },
      async (req, reply) => {
        const id = req.params.id;
        const client = await deps.pool.connect();
        // A connection lost while checked out emits 'error': without a listener that would crash
        // the process. The failing query or stream reports it; the client is then discarded.
        const ignoreLost = () => undefined;
        client.on('error', ignoreLost);
        const release = (err?: Error) => {
          client.off('error', ignoreLost);
          client.release(err);
        };
        let head;
        try {
          // One snapshot for the whole export, however long the client takes to read it.
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
          const workspace = await getWorkspaceView(client, id);
          if (!workspace) throw notFound(`workspace '${id}'`);
          head = { workspace, invoices: (await listInvoices(client, id, 10_000)).map(invoiceJson) };
        } catch (err) {
          release(await rolledBack(client, err));
          throw err;
        }
        const body = Readable.from(workspaceExportJson(client, id, head));
        releaseWhenClosed(body, release);
        void reply.header('content-type', 'application/json; charset=utf-8');
        void reply.header('content-disposition', `attachment; filename="${id}-export.json"`);
        return reply.send(body);
      },
    );
  };
}

/** The error to release the client with: none when its transaction rolled back cleanly. */
async function rolledBack(client: PoolClient, err: unknown): Promise<Error | undefined> {
  const ok = await client.query('ROLLBACK').then(
    () => true,
    () => false,
  );
  return ok ? undefined : err instanceof Error ? err : new Error(String(err));
}

/**
 * The connection goes back to the pool once the stream is done; a stream that
 * ended early (the client went away, a query failed) may leave a cursor or the
 * transaction open, so its connection is discarded instead.
 */
function releaseWhenClosed(body: Readable, release: (err?: Error) => void): void {
  let complete = false;
  body.once('end', () => (complete = true));
  body.once('close', () => release(complete ? undefined : new Error('export stream closed before its end')));
}
