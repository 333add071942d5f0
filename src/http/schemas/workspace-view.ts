// GET /v1/workspaces/:id (and the answer to a create): the workspace as the read model shows it.
import Type from 'typebox';
import { BalanceSchema } from './workspace-params';

const Instant = Type.String({ format: 'date-time' });

export const WorkspaceStatusSchema = Type.String({ enum: ['active', 'past_due', 'cancelled', 'deleted'] });

export const WorkspaceViewSchema = Type.Object({
  id: Type.String(),
  plan: Type.String(),
  status: WorkspaceStatusSchema,
  term: Type.Object({ start: Instant, end: Instant }),
  balance: BalanceSchema,
  overage: Type.Object({ enabled: Type.Boolean(), monthlyLimit: Type.Integer({ minimum: 0 }), used: Type.Integer({ minimum: 0 }) }),
  disabledFeatures: Type.Array(Type.String()),
  cancelAt: Type.Union([Instant, Type.Null()]),
  retentionUntil: Type.Union([Instant, Type.Null()]),
  lowBalanceThreshold: Type.Union([Type.Integer(), Type.Null()], {
    description: 'credits.low threshold in credits; null = the default, 10% of the plan allocation',
  }),
  scheduledChange: Type.Union(
    [
      Type.Object({ plan: Type.String(), effectiveAt: Instant }, { description: 'the plan the workspace switches to at effectiveAt (the end of the term)' }),
      Type.Null(),
    ],
    { description: 'a plan change waiting for renewal (a downgrade); null when none' },
  ),
}, { description: 'A workspace: plan, status, term, balance and settings' });
