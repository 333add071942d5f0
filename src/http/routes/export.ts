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
import { InvoiceSchema, invoiceJson } from './invoice-schemas';
import Type from 'typebox';
import { WorkspaceViewSchema } from '../schemas/workspace-view';

const Instant = Type.String({ format: 'date-time' });
const WorkspaceExportSchema = Type.Object(
  {
    exportedAt: Instant,
    workspace: WorkspaceViewSchema,
    usage: Type.Array(
      Type.Object({
        at: Instant,
        memberId: Type.String(),
        action: Type.String(),
        feature: Type.String(),
        tokens: Type.Union([Type.Integer(), Type.Null()]),
        credits: Type.Integer(),
      }),
    ),
    ledger: Type.Array(
      Type.Object({
        at: Instant,
        kind: Type.String(),
        bucket: Type.String(),
        amount: Type.Integer(),
        termIndex: Type.Integer(),
        reason: Type.String(),
      }),
    ),
    invoices: Type.Array(InvoiceSchema),
  },
  { description: 'The export (a download: Content-Disposition attachment)' },
);

/** `now`: the clock of `exportedAt` (the simulator's virtual time; default the machine's). */
export function exportRoutes(deps: { pool: Pool; now?: () => number }) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id/export',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'exportWorkspace',
          summary: 'Everything the workspace may take away (JSON, streamed)',
          params: WorkspaceParams,
          response: { 200: WorkspaceExportSchema },
        },
      },
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
        const body = Readable.from(workspaceExportJson(client, id, head, (deps.now ?? Date.now)()));
        releaseWhenClosed(body, release);
        void reply.header('content-type', 'application/json; charset=utf-8');
        void reply.header('content-disposition', `attachment; filename="${id}-export.json"`);
        return reply.send(body as never); // streamed: the schema documents it, nothing serializes it
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
