import type { Pool } from '../../db/pool';
import { getWorkspaceView } from '../../ledger/workspace-view';
import type { App } from '../app';
import { notFound } from '../errors';
import { WorkspaceParams } from '../schemas/workspace-params';
import { WorkspaceViewSchema } from '../schemas/workspace-view';

/** GET /v1/workspaces/:id: plan, status, term, balance and settings, from the read model. */
export function workspaceReadRoutes(deps: { pool: Pool }) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'getWorkspace',
          summary: 'The workspace: plan, status, term, balance, settings and any scheduled plan change',
          params: WorkspaceParams,
          response: { 200: WorkspaceViewSchema },
        },
      },
      async (req) => {
        const view = await getWorkspaceView(deps.pool, req.params.id);
        if (!view) throw notFound(`workspace '${req.params.id}'`);
        return view;
      },
    );
  };
}
