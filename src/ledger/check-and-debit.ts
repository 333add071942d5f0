// The usage hot path (SPEC rule 4): every debit is decided on the current
// balance row and written only if that row is still current, so concurrent
// requests never overdraw and the last credit goes to exactly one of them.
// Usually without a lock (read, then one compare-and-set statement); after a
// lost race, or to refuse or replay, in one transaction holding the row lock.
import { createHash } from 'node:crypto';
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { isBelowLowThreshold, splitCost, type Split } from '../domain/consumption';
import type { FailureCode } from '../domain/failure-codes';
import { normalizeFeature } from '../domain/features';
import { creditCost } from '../domain/metering';
import type { PricingConfig } from '../domain/pricing';
import type { BalanceColumns } from './balance-row';
import { isCreatedWorkspace } from './created-workspace';
import type { Balances } from './balances';
import { findPriorRequest, lockForDebit, readForDebit, writeDebit, writeDebitIfUnchanged, writeExhausted } from './debit-sql';

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

/** The locked balance row joined with the workspace settings (debit-sql.ts lockForDebit). */
interface Locked extends BalanceColumns {
  low_notified: boolean;
  exhausted_notified: boolean;
  /** The term was closed by the cancellation: no debit may land in it. */
  term_closed: boolean;
  status: string;
  feature_disabled: boolean;
  on_demand_enabled: boolean;
  on_demand_monthly_limit: number;
  low_balance_threshold: number | null;
  plan_credits: number;
}

export async function checkAndDebit(pool: Pool, pricing: PricingConfig, request: UsageInput): Promise<UsageOutcome> {
  // Recorded and checked against the switches in the one spelling of the feature vocabulary.
  const input = { ...request, feature: normalizeFeature(request.feature) };
  const cost = creditCost(pricing, input.action, input.tokens);
  if (!cost.ok) return refuse(cost.reason === 'unknown_action' ? 'unknown_action' : 'validation_failed', cost.message);
  if (!cost.billable) return answerNonBillable(pool, input.workspaceId);
  const hash = usageRequestHash(input);

  if (!recentlyContended(input.workspaceId)) {
    const done = await debitWithoutLock(pool, pricing, input, cost.credits, hash);
    if (done !== 'lost_race' && done !== 'needs_lock') return done;
    if (done === 'lost_race') markContended(input.workspaceId);
  }
  return debitLocked(pool, pricing, input, cost.credits, hash);
}

/** What a debit on this row would do: a refusal (or a retry) or the writes. */
interface DebitPlan {
  gate: UsageRefusal | null;
  short: boolean;
  split: Split;
  charge: UsageCharge;
  low: boolean;
  exhausted: boolean;
  events: Array<ReturnType<typeof notification>>;
}

function planDebit(ws: Locked, input: UsageInput, cost: number, pricing: PricingConfig): DebitPlan {
  const gate = gateRefusal(ws, input);
  const split = splitCost({
    cost,
    balance: { plan: ws.plan_balance, purchased: ws.purchased_balance },
    onDemand: { enabled: ws.on_demand_enabled, monthlyLimit: ws.on_demand_monthly_limit },
    overageUsed: ws.overage_used,
  });
  const short = split.shortfall > 0 && !input.alreadyPerformed;
  const charge = chargeOf(ws, split);
  const low = !ws.low_notified && isBelowLowThreshold({
    totalAfter: charge.balance.total,
    planCredits: ws.plan_credits,
    threshold: ws.low_balance_threshold,
    defaultPercent: pricing.lowBalancePercent,
  });
  const exhausted = !ws.exhausted_notified && split.shortfall > 0;
  const events = [
    ...(low ? [notification('credits.low', input.workspaceId, ws, { balance: charge.balance, threshold: threshold(ws, pricing) })] : []),
    ...(exhausted ? [notification('credits.exhausted', input.workspaceId, ws, { balance: charge.balance, reason: 'shortfall', action: input.action })] : []),
  ];
  return { gate, short, split, charge, low, exhausted, events };
}

/** writeDebit's parameters $1..$17. */
function writeValues(input: UsageInput, hash: string, ws: Locked, plan: DebitPlan): unknown[] {
  const { split } = plan;
  return [
    input.workspaceId, input.idempotencyKey, hash, input.memberId, input.action, input.feature, input.tokens ?? null,
    split.plan, split.purchased, split.overage, split.shortfall, input.alreadyPerformed ?? false, ws.term_index,
    JSON.stringify(plan.charge), plan.low, plan.exhausted, JSON.stringify(plan.events),
  ];
}

/**
 * The common case in two round trips and no explicit transaction: read the
 * row, decide, and write in one statement that applies only if the row did
 * not move meanwhile. When it cannot finish alone (a refusal, a replay, a
 * lost race) the locked path decides under the row lock.
 */
async function debitWithoutLock(
  pool: Pool,
  pricing: PricingConfig,
  input: UsageInput,
  cost: number,
  hash: string,
): Promise<UsageOutcome | 'lost_race' | 'needs_lock'> {
  const { rows } = await pool.query<Locked>({ name: 'usage-read', text: readForDebit, values: [input.workspaceId, input.feature] });
  const ws = rows[0];
  if (!ws) return 'needs_lock';
  const plan = planDebit(ws, input, cost, pricing);
  if (plan.gate || plan.short) return 'needs_lock';
  try {
    const written = await pool.query({
      name: 'usage-write-unchanged',
      text: writeDebitIfUnchanged,
      values: [...writeValues(input, hash, ws, plan), ws.plan_balance, ws.purchased_balance, ws.overage_used, ws.unbilled_shortfall, ws.low_notified, ws.exhausted_notified],
    });
    if (written.rowCount === 0) return 'lost_race';
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'usage_events_idempotency') return 'needs_lock'; // a used key: replayed under the lock
    throw err;
  }
  return { ok: true, replayed: false, charge: plan.charge };
}

/** One transaction holding the balance row's lock: decides refusals and replays, and wins every race. */
function debitLocked(pool: Pool, pricing: PricingConfig, input: UsageInput, cost: number, hash: string): Promise<UsageOutcome> {
  return inTransaction(pool, async (client) => {
    const { rows } = await client.query<Locked>({ name: 'usage-lock', text: lockForDebit, values: [input.workspaceId, input.feature] });
    const ws = rows[0];
    if (!ws) return missingBalanceRow(client, input.workspaceId);

    const plan = planDebit(ws, input, cost, pricing);
    if (plan.gate || plan.short) {
      // A key that already succeeded answers as it did, whatever changed since.
      const prior = await replayPrior(client, input, hash);
      if (prior) return prior;
      if (plan.gate) return plan.gate;
      if (!ws.exhausted_notified) await recordExhausted(client, input, ws, 'refused');
      return creditLimitRefusal(input, ws, cost);
    }
    const written = await client.query({ name: 'usage-write', text: writeDebit, values: writeValues(input, hash, ws, plan) });
    if (written.rowCount === 0) return (await replayPrior(client, input, hash))!;
    return { ok: true, replayed: false, charge: plan.charge };
  });
}

// Workspaces whose optimistic write lost a race recently go straight to the
// locked path for a second: a hot workspace would otherwise lose most races.
// Only a hint; correctness never depends on it.
const CONTENDED_MS = 1000;
const contended = new Map<string, number>();

function recentlyContended(workspaceId: string): boolean {
  const until = contended.get(workspaceId);
  if (until === undefined) return false;
  if (until > Date.now()) return true;
  contended.delete(workspaceId);
  return false;
}

function markContended(workspaceId: string): void {
  if (contended.size > 10_000) contended.clear();
  contended.set(workspaceId, Date.now() + CONTENDED_MS);
}

function gateRefusal(ws: Locked, input: UsageInput): UsageRefusal | null {
  if (ws.status === 'deleted') {
    return refuse('workspace_deleted', `workspace '${input.workspaceId}' was deleted after its retention period`);
  }
  // The term closes on the balance row before the read model says cancelled.
  if (ws.status === 'cancelled' || ws.term_closed) {
    return refuse('subscription_cancelled', `the subscription of workspace '${input.workspaceId}' has ended: AI usage is disabled`);
  }
  if (ws.status === 'past_due') {
    return refuse('payment_required', `workspace '${input.workspaceId}' is past due: usage resumes once a payment succeeds`);
  }
  if (ws.feature_disabled) {
    return refuse('feature_disabled', `AI is disabled for feature '${input.feature}' in workspace '${input.workspaceId}'`, {
      feature: input.feature,
    });
  }
  return null;
}

async function replayPrior(client: PoolClient, input: UsageInput, hash: string): Promise<UsageOutcome | null> {
  const { rows } = await client.query<{ request_hash: string; response: UsageCharge }>({
    name: 'usage-prior',
    text: findPriorRequest,
    values: [input.workspaceId, input.idempotencyKey],
  });
  const prior = rows[0];
  if (!prior) return null;
  if (prior.request_hash !== hash) {
    return refuse('idempotency_conflict', `idempotency key '${input.idempotencyKey}' was already used with a different request body`);
  }
  return { ok: true, replayed: true, charge: prior.response };
}

function chargeOf(ws: Locked, split: Split): UsageCharge {
  const plan = ws.plan_balance - split.plan;
  const purchased = ws.purchased_balance - split.purchased;
  return {
    creditsCharged: split.plan + split.purchased + split.overage,
    buckets: { plan: split.plan, purchased: split.purchased, overage: split.overage },
    balance: { plan, purchased, total: plan + purchased },
    unbilledShortfall: split.shortfall,
  };
}

function creditLimitRefusal(input: UsageInput, ws: Locked, cost: number): UsageRefusal {
  const total = ws.plan_balance + ws.purchased_balance;
  const refreshesAt = ws.term_end.toISOString();
  // What the request would take from on-demand: the part the balance does not cover.
  const requested = cost - total;
  const limit = ws.on_demand_monthly_limit;
  const onDemand = !ws.on_demand_enabled
    ? 'on-demand usage is off'
    : `it would need ${requested} on-demand credits, which would exceed the on-demand limit of ${limit} credits (${ws.overage_used} used this term)`;
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

const threshold = (ws: Locked, pricing: PricingConfig) =>
  ws.low_balance_threshold ?? (ws.plan_credits * pricing.lowBalancePercent) / 100;

function notification(type: 'credits.low' | 'credits.exhausted', workspaceId: string, ws: Locked, data: Record<string, unknown>) {
  return {
    type,
    dedupe_key: `${type}:${workspaceId}:${ws.term_index}`,
    payload: { workspaceId, termIndex: ws.term_index, refreshesAt: ws.term_end.toISOString(), ...data },
  };
}

async function recordExhausted(client: PoolClient, input: UsageInput, ws: Locked, reason: string): Promise<void> {
  const balance = { plan: ws.plan_balance, purchased: ws.purchased_balance, total: ws.plan_balance + ws.purchased_balance };
  const event = notification('credits.exhausted', input.workspaceId, ws, { balance, reason, action: input.action });
  await client.query(writeExhausted, [input.workspaceId, JSON.stringify(event.payload), event.dedupe_key]);
}

/** No balance row: the workspace is unknown, or no term was opened for it yet. */
async function missingBalanceRow(client: PoolClient, workspaceId: string): Promise<UsageRefusal> {
  const { rows } = await client.query<{ status: string }>(`SELECT status FROM workspaces WHERE id = $1`, [workspaceId]);
  if (!rows[0] || rows[0].status === 'signup_failed') return refuse('not_found', `workspace '${workspaceId}' was not found`);
  return refuse('workspace_not_ready', `workspace '${workspaceId}' has no open billing term yet; retry shortly`);
}

/** Non-billable actions cost nothing, write nothing and need no credits (SPEC section 2, rule 14). */
async function answerNonBillable(pool: Pool, workspaceId: string): Promise<UsageOutcome> {
  const { rows } = await pool.query<{ status: string; plan: number | null; purchased: number | null }>(
    `SELECT w.status, b.plan_balance AS plan, b.purchased_balance AS purchased
     FROM workspaces w LEFT JOIN credit_balances b ON b.workspace_id = w.id WHERE w.id = $1`,
    [workspaceId],
  );
  const ws = rows[0];
  if (!ws || !isCreatedWorkspace(ws.status)) return refuse('not_found', `workspace '${workspaceId}' was not found`);
  if (ws.status === 'deleted') return refuse('workspace_deleted', `workspace '${workspaceId}' was deleted after its retention period`);
  const plan = ws.plan ?? 0;
  const purchased = ws.purchased ?? 0;
  return {
    ok: true,
    replayed: false,
    charge: { creditsCharged: 0, buckets: { plan: 0, purchased: 0, overage: 0 }, balance: { plan, purchased, total: plan + purchased }, unbilledShortfall: 0 },
  };
}
