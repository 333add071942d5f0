// Request and response schemas of the usage endpoints (SPEC section 7).
import Type from 'typebox';
import { FEATURE_PATTERN } from '../../domain/features';
import type { PricingConfig } from '../../domain/pricing';
import { text } from './text';
import { BalanceSchema } from './workspace-params';

/** The usage request; `action` is one of the price list's actions. */
export const usageBody = (pricing: PricingConfig) => Type.Object(
  {
    idempotencyKey: Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7E]+$', description: 'unique per logical request; retries reuse it' }),
    memberId: text(200, 'the member who used the credits'),
    action: Type.String({ enum: Object.keys(pricing.actions), description: 'a metered action of the price list' }),
    feature: Type.String({
      pattern: FEATURE_PATTERN.source,
      description: 'the feature (module) the usage belongs to, named by the product (e.g. chat, reports): an open vocabulary, case-insensitive (stored in lower case)',
    }),
    tokens: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description: 'required for token-metered actions' })),
    alreadyPerformed: Type.Optional(Type.Boolean({ description: 'the AI call already ran: record the fact even when credits are short' })),
  },
  {
    additionalProperties: false,
    examples: [
      { idempotencyKey: 'req-7f3a', memberId: 'alice', action: 'chat_question', feature: 'chat' },
      { idempotencyKey: 'req-7f3b', memberId: 'bob', action: 'ai_assist', feature: 'reports', tokens: 2400 },
    ],
  },
);

const Buckets = Type.Object({ plan: Type.Integer({ minimum: 0 }), purchased: Type.Integer({ minimum: 0 }), overage: Type.Integer({ minimum: 0 }) });

export const UsageCharge = Type.Object({
  creditsCharged: Type.Integer(),
  buckets: Buckets,
  balance: BalanceSchema,
  unbilledShortfall: Type.Integer(),
}, { description: 'What this request cost, how it was split over the buckets, and what remains' });

export const UsageSummaryQuery = Type.Object(
  {
    groupBy: Type.Optional(Type.String({ enum: ['member', 'day'], default: 'member' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'inclusive; default the current term start' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'exclusive; default the current term end' })),
  },
  { additionalProperties: false },
);

const Totals = { requests: Type.Integer(), credits: Type.Integer(), tokens: Type.Integer() };

export const UsageSummaryResponse = Type.Object({
  workspaceId: Type.String(),
  groupBy: Type.String({ enum: ['member', 'day'] }),
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
