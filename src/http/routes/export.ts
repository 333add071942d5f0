// GET /v1/workspaces/:id/export: everything the workspace may take away
// (rule 12), readable during retention and when credits are exhausted.
import type { Pool } from '../../db/pool';
import { listInvoices } from '../../invoices/store';
import { usageHistory, type UsageHistoryRow } from '../../ledger/usage-reports';
import { getWorkspaceView } from '../../ledger/workspace-view';
import type { App } from '../app';
import { notFound } from '../errors';
import { WorkspaceParams } from '../schemas/workspace-params';
import { invoiceJson } from './invoice-schemas';

const MAX_EXPORT_ROWS = 1_000_000;

export function exportRoutes(deps: { pool: Pool }) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id/export',
      { schema: { tags: ['workspaces'], summary: 'Everything the workspace may take away (JSON)', params: WorkspaceParams } },
      async (req, reply) => {
        const id = req.params.id;
        const workspace = await getWorkspaceView(deps.pool, id);
        if (!workspace) throw notFound(`workspace '${id}'`);
        const usage: UsageHistoryRow[] = [];
        let cursor: string | undefined;
        do {
          const page = await usageHistory(deps.pool, { workspaceId: id, limit: 5000, ...(cursor ? { cursor } : {}) });
          usage.push(...(page?.data ?? []));
          cursor = page?.nextCursor ?? undefined;
        } while (cursor && usage.length < MAX_EXPORT_ROWS);
        const { rows: ledger } = await deps.pool.query(
          `SELECT created_at AS at, kind, bucket, amount, term_index AS "termIndex", reason
           FROM credit_ledger WHERE workspace_id = $1 ORDER BY id`,
          [id],
        );
        const invoices = (await listInvoices(deps.pool, id, 10_000)).map(invoiceJson);
        void reply.header('content-disposition', `attachment; filename="${id}-export.json"`);
        return { exportedAt: new Date().toISOString(), workspace, usage, ledger, invoices };
      },
    );
  };
}
