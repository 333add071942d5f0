// The usage hot path (SPEC rule 4): every debit is decided and written by one
// SQL function (usage_debit, migration 0015) under the balance row's lock, in
// one round trip, so concurrent requests never overdraw and the last credit
// goes to exactly one of them. Debits that arrive together share a statement
// and a commit (debit-batcher.ts). Here: the price, the request hash, and the
// function's outcome turned into an answer.
import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool';
import type { FailureCode } from '../domain/failure-codes';
import { normalizeFeature } from '../domain/features';
import { creditCost } from '../domain/metering';
import type { PricingConfig } from '../domain/pricing';
import { isCreatedWorkspace } from './created-workspace';
import type { Balances } from './balances';
import { debitBatcherOf } from './debit-batcher';
import { nonBillableLookup, type DebitRow } from './debit-sql';

export interface UsageInput {
  workspaceId: string;
  idempotencyKey: string;
  memberId: string;
  action: string;
  feature: string;
  tokens?: number | null;
  /** The AI call already ran: record the fact even when credits are short. */
  alreadyPerformed?: boolean;
}

export interface UsageCharge {
  /** Credits charged: plan + purchased + overage. */
  creditsCharged: number;
  buckets: { plan: number; purchased: number; overage: number };
  /** What remains after this charge. */
  balance: Balances;
  /** Part of a reported fact that nothing could cover (not billed). */
  unbilledShortfall: number;
}

/** A refused debit: a code from the taxonomy (the API decides its HTTP status), nothing written. */
export type UsageRefusal = {
  ok: false;
  code: FailureCode;
  message: string;
  details?: Record<string, unknown>;
};
export type UsageOutcome = { ok: true; replayed: boolean; charge: UsageCharge } | UsageRefusal;

const refuse = (code: FailureCode, message: string, details?: Record<string, unknown>): UsageRefusal => ({
  ok: false,
  code,
  message,
  ...(details ? { details } : {}),
});

/** Canonical body hash: the same request is the same whatever the field order or omitted defaults. */
export function usageRequestHash(input: UsageInput): string {
  const canonical = [input.memberId, input.action, input.feature, input.tokens ?? null, input.alreadyPerformed ?? false];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export async function checkAndDebit(pool: Pool, pricing: PricingConfig, request: UsageInput): Promise<UsageOutcome> {
  // Recorded and checked against the switches in the one spelling of the feature vocabulary.
  const input = { ...request, feature: normalizeFeature(request.feature) };
  const cost = creditCost(pricing, input.action, input.tokens);
  if (!cost.ok) return refuse(cost.reason === 'unknown_action' ? 'unknown_action' : 'validation_failed', cost.message);
  if (!cost.billable) return answerNonBillable(pool, input.workspaceId, input.idempotencyKey);
  const row = await debitBatcherOf(pool).debit({
    workspaceId: input.workspaceId,
    idempotencyKey: input.idempotencyKey,
    requestHash: usageRequestHash(input),
    memberId: input.memberId,
    action: input.action,
    feature: input.feature,
    tokens: input.tokens ?? null,
    cost: cost.credits,
    alreadyPerformed: input.alreadyPerformed ?? false,
    lowBalancePercent: pricing.lowBalancePercent,
  });
  return outcomeOf(row, input, cost.credits);
}

/** What usage_debit's outcome means to the caller. */
function outcomeOf(row: DebitRow, input: UsageInput, cost: number): UsageOutcome {
  const ws = input.workspaceId;
  switch (row.outcome) {
    case 'debited':
      return { ok: true, replayed: false, charge: row.response as UsageCharge };
    case 'replayed':
      return { ok: true, replayed: true, charge: row.response as UsageCharge };
    case 'idempotency_conflict':
      return refuse('idempotency_conflict', `idempotency key '${input.idempotencyKey}' was already used with a different request body`);
    case 'not_found':
      return refuse('not_found', `workspace '${ws}' was not found`);
    case 'workspace_not_ready':
      return refuse('workspace_not_ready', `workspace '${ws}' has no open billing term yet; retry shortly`);
    case 'workspace_deleted':
      return refuse('workspace_deleted', `workspace '${ws}' was deleted after its retention period`);
    case 'subscription_cancelled':
      return refuse('subscription_cancelled', `the subscription of workspace '${ws}' has ended: AI usage is disabled`);
    case 'payment_required':
      return refuse('payment_required', `workspace '${ws}' is past due: usage resumes once a payment succeeds`);
    case 'feature_disabled':
      return refuse('feature_disabled', `AI is disabled for feature '${input.feature}' in workspace '${ws}'`, { feature: input.feature });
    case 'credit_limit_reached':
      return creditLimitRefusal(input, row as RowAsRead, cost);
    default:
      throw new Error(`usage_debit answered an unknown outcome '${row.outcome}'`);
  }
}

/** A refusal's row: the balance row as it was (every column set). */
type RowAsRead = { [K in keyof DebitRow]: NonNullable<DebitRow[K]> };

/** "1 credit", "3 credits". */
const credits = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function creditLimitRefusal(input: UsageInput, ws: RowAsRead, cost: number): UsageRefusal {
  const total = ws.plan_balance + ws.purchased_balance;
  const refreshesAt = ws.term_end.toISOString();
  // What the request would take from on-demand: the part the balance does not cover.
  const requested = cost - total;
  const limit = ws.on_demand_monthly_limit;
  const onDemand = !ws.on_demand_enabled
    ? 'on-demand usage is off'
    : `it would need ${credits(requested, 'on-demand credit')}, which would exceed the on-demand limit of ${credits(limit, 'credit')} (${ws.overage_used} used this term)`;
  return refuse(
    'credit_limit_reached',
    `not enough credits: '${input.action}' costs ${cost}, ${total} left and ${onDemand}; plan credits refresh at ${refreshesAt}`,
    {
      refreshesAt,
      creditsRequired: cost,
      balance: { plan: ws.plan_balance, purchased: ws.purchased_balance, total },
      ...(ws.on_demand_enabled ? { onDemand: { limit, used: ws.overage_used, requested } } : {}),
    },
  );
}

/**
 * Non-billable actions cost nothing, write nothing and need no credits (SPEC
 * section 2, rule 14). Their key is still bound: one a charged request used
 * names that request, so this other body under it is a 409 (rule 4).
 */
async function answerNonBillable(pool: Pool, workspaceId: string, idempotencyKey: string): Promise<UsageOutcome> {
  // One round trip: the workspace, its balances and whether a request already used the key.
  const { rows } = await pool.query<{ status: string; plan: number | null; purchased: number | null; key_used: boolean }>({
    name: 'usage-non-billable',
    text: nonBillableLookup,
    values: [workspaceId, idempotencyKey],
  });
  const ws = rows[0];
  if (!ws || !isCreatedWorkspace(ws.status)) return refuse('not_found', `workspace '${workspaceId}' was not found`);
  if (ws.status === 'deleted') return refuse('workspace_deleted', `workspace '${workspaceId}' was deleted after its retention period`);
  if (ws.key_used) {
    return refuse('idempotency_conflict', `idempotency key '${idempotencyKey}' was already used with a different request body`);
  }
  const plan = ws.plan ?? 0;
  const purchased = ws.purchased ?? 0;
  return {
    ok: true,
    replayed: false,
    charge: { creditsCharged: 0, buckets: { plan: 0, purchased: 0, overage: 0 }, balance: { plan, purchased, total: plan + purchased }, unbilledShortfall: 0 },
  };
}
