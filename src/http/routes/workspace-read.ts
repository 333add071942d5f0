import type { Pool } from '../../db/pool';
import { getWorkspaceView } from '../../ledger/workspace-view';
import Type from 'typebox';
import type { App } from '../app';
import { notFound } from '../errors';
import { BalanceSchema, WorkspaceParams } from '../schemas/workspace-params';

const Instant = Type.String({ format: 'date-time' });
const WorkspaceViewSchema = Type.Object({
  id: Type.String(),
  plan: Type.String(),
  status: Type.String(),
  term: Type.Object({ start: Instant, end: Instant }),
  balance: BalanceSchema,
  overage: Type.Object({ enabled: Type.Boolean(), monthlyLimit: Type.Integer(), used: Type.Integer() }),
  disabledFeatures: Type.Array(Type.String()),
  cancelAt: Type.Union([Instant, Type.Null()]),
  retentionUntil: Type.Union([Instant, Type.Null()]),
  lowBalanceThreshold: Type.Union([Type.Integer(), Type.Null()], {
    description: 'credits.low threshold in credits; null = the default, 10% of the plan allocation',
  }),
});

/** GET /v1/workspaces/:id: plan, status, term, balance and settings, from the read model. */
export function workspaceReadRoutes(deps: { pool: Pool }) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id',
      { schema: { tags: ['workspaces'], params: WorkspaceParams, response: { 200: WorkspaceViewSchema } } },
      async (req) => {
        const view = await getWorkspaceView(deps.pool, req.params.id);
        if (!view) throw notFound(`workspace '${req.params.id}'`);
        return view;
      },
    );
  };
}
