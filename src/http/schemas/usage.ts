// Request and response schemas of the usage endpoints (SPEC section 7).
import Type from 'typebox';
import { FEATURE_PATTERN } from '../../domain/features';
import { text } from './text';
import { BalanceSchema } from './workspace-params';

export const UsageBody = Type.Object(
  {
    idempotencyKey: Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'unique per logical request; retries reuse it' }),
    memberId: text(200, 'the member who used the credits'),
    action: Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z][a-z0-9_]*$', description: 'metered action, e.g. chat_question, ai_assist' }),
    feature: Type.String({ pattern: FEATURE_PATTERN.source, description: 'feature/module, for feature switches (case-insensitive: stored in lower case)' }),
    tokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'required for token-metered actions' })),
    alreadyPerformed: Type.Optional(Type.Boolean({ description: 'the AI call already ran: record the fact even when credits are short' })),
  },
  { additionalProperties: false },
);

const Buckets = Type.Object({ plan: Type.Integer(), purchased: Type.Integer(), overage: Type.Integer() });

export const UsageCharge = Type.Object({
  creditsCharged: Type.Integer(),
  buckets: Buckets,
  balance: BalanceSchema,
  unbilledShortfall: Type.Integer(),
});

export const UsageSummaryQuery = Type.Object(
  {
    groupBy: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('day')], { default: 'member' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive; default the current term start' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive; default the current term end' })),
  },
  { additionalProperties: false },
);

const Totals = { requests: Type.Integer(), credits: Type.Integer(), tokens: Type.Integer() };

export const UsageSummaryResponse = Type.Object({
  workspaceId: Type.String(),
  groupBy: Type.String(),
  from: Type.String(),
  to: Type.String(),
  totals: Type.Object(Totals),
  groups: Type.Array(
    Type.Union([Type.Object({ memberId: Type.String(), ...Totals }), Type.Object({ day: Type.String(), ...Totals })]),
  ),
});

export const MAX_HISTORY_PAGE = 200;

export const UsageHistoryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_HISTORY_PAGE, default: 50 })),
    cursor: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,17}$', description: 'nextCursor of the previous page' })),
  },
  { additionalProperties: false },
);

export const UsageHistoryResponse = Type.Object({
  data: Type.Array(
    Type.Object({
      at: Type.String(),
      memberId: Type.String(),
      action: Type.String(),
      feature: Type.String(),
      tokens: Type.Union([Type.Integer(), Type.Null()]),
      credits: Type.Integer(),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
