// Ledger operations the billing workflow runs as activities. Each is one
// transaction on the locked balance row, idempotent by its business key: a
// retry (after a crash at any point) answers what the first run did.
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import { appendEntries, lockBalanceRow, requireOpenTerm, type BalanceRow } from './balance-row';
import { LedgerError } from './errors';

export interface Applied {
  alreadyApplied: boolean;
}

async function applyOnce<I extends { workspaceId: string }, R extends object>(
  pool: Pool,
  kind: string,
  key: string,
  input: I,
  apply: (client: PoolClient, balance: BalanceRow | null) => Promise<R>,
): Promise<R & Applied> {
  return inTransaction(pool, (client) => applyOnceIn(client, kind, key, input, apply));
}

/** applyOnce inside a transaction the caller holds (a fused renewal does more in it). */
async function applyOnceIn<I extends { workspaceId: string }, R extends object>(
  client: PoolClient,
  kind: string,
  key: string,
  input: I,
  apply: (client: PoolClient, balance: BalanceRow | null) => Promise<R>,
): Promise<R & Applied> {
  const balance = await lockBalanceRow(client, input.workspaceId);
  const prior = await client.query<{ kind: string; result: R }>(
    `SELECT kind, result FROM ledger_operations WHERE workspace_id = $1 AND key = $2`,
    [input.workspaceId, key],
  );
  if (prior.rows[0]) {
    if (prior.rows[0].kind !== kind) {
      throw new LedgerError('key_conflict', `key '${key}' was already used by a ${prior.rows[0].kind} operation`);
    }
    return { ...prior.rows[0].result, alreadyApplied: true };
  }
  const result = await apply(client, balance);
  await client.query(
    `INSERT INTO ledger_operations (workspace_id, key, kind, input, result) VALUES ($1, $2, $3, $4, $5)`,
    [input.workspaceId, key, kind, JSON.stringify(input), JSON.stringify(result)],
  );
  return { ...result, alreadyApplied: false };
}

function requireCount(name: string, value: number, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new LedgerError('invalid_input', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

export interface OpenTermInput {
  workspaceId: string;
  termIndex: number;
  /** Epoch ms, UTC. */
  termStart: number;
  termEnd: number;
  plan: string;
  planCredits: number;
  planPriceCents: number;
}

export const termOpenKey = (workspaceId: string, termIndex: number) => `term-open:${workspaceId}:${termIndex}`;

/**
 * Renewal (rule 2), or the initial grant for termIndex 0: the unused plan
 * credits expire, the allocation is granted, this term's overage and
 * notification flags reset, and the read model gets the new term and plan.
 * Debits committed before it land in the old term, later ones in the new.
 */
export function openTerm(pool: Pool, input: OpenTermInput): Promise<{ expired: number; granted: number } & Applied> {
  return inTransaction(pool, (client) => openTermIn(client, input));
}

/** openTerm inside a transaction the caller holds (the fused renewal, src/ledger/renewal.ts). */
export async function openTermIn(client: PoolClient, input: OpenTermInput): Promise<{ expired: number; granted: number } & Applied> {
  const { workspaceId, termIndex, termStart, termEnd, plan, planCredits, planPriceCents } = input;
  requireCount('termIndex', termIndex);
  requireCount('planCredits', planCredits);
  requireCount('planPriceCents', planPriceCents);
  if (!Number.isSafeInteger(termStart) || !Number.isSafeInteger(termEnd) || termEnd <= termStart) {
    throw new LedgerError('invalid_input', `term [${termStart}, ${termEnd}) is not a valid range of epoch milliseconds`);
  }
  return applyOnceIn(client, 'term_open', termOpenKey(workspaceId, termIndex), input, async (client, balance) => {
    if (balance && termIndex <= balance.termIndex) {
      throw new LedgerError('term_mismatch', `cannot open term ${termIndex}: term ${balance.termIndex} is already open`);
    }
    const expired = balance?.plan ?? 0;
    await appendEntries(client, workspaceId, termOpenKey(workspaceId, termIndex), [
      { kind: 'expiry', bucket: 'plan', amount: -expired, termIndex: balance?.termIndex ?? termIndex, reason: `term ${balance?.termIndex} ended: unused plan credits expire` },
      { kind: 'grant', bucket: 'plan', amount: planCredits, termIndex, reason: `term ${termIndex} allocation of plan ${plan}` },
    ]);
    await client.query(
      `INSERT INTO credit_balances (workspace_id, term_index, term_end, plan_balance, purchased_balance)
       VALUES ($1, $2, $3, $4, 0)
       ON CONFLICT (workspace_id) DO UPDATE SET
         term_index = EXCLUDED.term_index, term_end = EXCLUDED.term_end, plan_balance = EXCLUDED.plan_balance,
         overage_used = 0, unbilled_shortfall = 0, low_notified = false, exhausted_notified = false, term_closed = false`,
      [workspaceId, termIndex, new Date(termEnd), planCredits],
    );
    await client.query(
      `UPDATE workspaces SET term_index = $2, term_start = $3, term_end = $4, plan = $5, plan_credits = $6,
         plan_price_cents = $7, updated_at = now() WHERE id = $1`,
      [workspaceId, termIndex, new Date(termStart), new Date(termEnd), plan, planCredits, planPriceCents],
    );
    return { expired, granted: planCredits };
  });
}

export interface ReplacePlanBucketInput {
  workspaceId: string;
  termIndex: number;
  plan: string;
  planCredits: number;
  planPriceCents: number;
  key: string;
}

/** Upgrade (rule 5): the plan bucket becomes exactly planCredits; purchased credits are untouched. */
export async function replacePlanBucket(pool: Pool, input: ReplacePlanBucketInput): Promise<{ expired: number; granted: number } & Applied> {
  const { workspaceId, termIndex, plan, planCredits, planPriceCents, key } = input;
  requireCount('planCredits', planCredits);
  requireCount('planPriceCents', planPriceCents);
  return applyOnce(pool, 'plan_replace', key, input, async (client, row) => {
    const balance = requireOpenTerm(row, workspaceId);
    if (balance.termIndex !== termIndex) {
      throw new LedgerError('term_mismatch', `plan change is for term ${termIndex} but term ${balance.termIndex} is open`);
    }
    await appendEntries(client, workspaceId, key, [
      { kind: 'expiry', bucket: 'plan', amount: -balance.plan, termIndex, reason: `plan change to ${plan}: remaining plan credits replaced` },
      { kind: 'grant', bucket: 'plan', amount: planCredits, termIndex, reason: `plan change to ${plan}: full allocation` },
    ]);
    await client.query(`UPDATE credit_balances SET plan_balance = $2 WHERE workspace_id = $1`, [workspaceId, planCredits]);
    await client.query(
      `UPDATE workspaces SET plan = $2, plan_credits = $3, plan_price_cents = $4, updated_at = now() WHERE id = $1`,
      [workspaceId, plan, planCredits, planPriceCents],
    );
    return { expired: balance.plan, granted: planCredits };
  });
}

/** Purchase (rule 8): credits into the purchased bucket, after the payment succeeded. */
export async function grantPurchasedCredits(
  pool: Pool,
  input: { workspaceId: string; credits: number; key: string },
): Promise<{ granted: number } & Applied> {
  requireCount('credits', input.credits, 1);
  return applyOnce(pool, 'purchase_grant', input.key, input, async (client, row) => {
    const balance = requireOpenTerm(row, input.workspaceId);
    await appendEntries(client, input.workspaceId, input.key, [
      { kind: 'purchase', bucket: 'purchased', amount: input.credits, termIndex: balance.termIndex, reason: 'credit purchase' },
    ]);
    await client.query(`UPDATE credit_balances SET purchased_balance = purchased_balance + $2 WHERE workspace_id = $1`, [
      input.workspaceId,
      input.credits,
    ]);
    return { granted: input.credits };
  });
}

/**
 * Cancellation at term end (rule 12): the remaining plan credits expire and
 * the term closes on the balance row, so every debit (which locks or compares
 * that row) either committed before this or is refused after it; the final
 * overage read that follows sees all the usage there will ever be.
 */
export async function expirePlanCredits(
  pool: Pool,
  input: { workspaceId: string; termIndex: number; key: string },
): Promise<{ expired: number } & Applied> {
  return applyOnce(pool, 'plan_expiry', input.key, input, async (client, row) => {
    const balance = requireOpenTerm(row, input.workspaceId);
    if (balance.termIndex !== input.termIndex) {
      throw new LedgerError('term_mismatch', `expiry is for term ${input.termIndex} but term ${balance.termIndex} is open`);
    }
    await appendEntries(client, input.workspaceId, input.key, [
      { kind: 'expiry', bucket: 'plan', amount: -balance.plan, termIndex: balance.termIndex, reason: 'subscription ended: plan credits expire' },
    ]);
    await client.query(`UPDATE credit_balances SET plan_balance = 0, term_closed = true WHERE workspace_id = $1`, [input.workspaceId]);
    return { expired: balance.plan };
  });
}

/**
 * Retention purge (rule 12): deletes usage events (member identifiers) and
 * ledger detail, zeroes the balance row (so it still equals the now empty
 * ledger) and marks the workspace deleted, all at once. Invoices and the
 * operations log (no member data) stay.
 */
export async function purgeUsageData(
  pool: Pool,
  input: { workspaceId: string; key: string },
): Promise<{ usageEvents: number; ledgerEntries: number } & Applied> {
  return applyOnce(pool, 'purge', input.key, input, async (client) => {
    await client.query(`SET LOCAL billing.purge = 'on'`);
    const ledger = await client.query(`DELETE FROM credit_ledger WHERE workspace_id = $1`, [input.workspaceId]);
    const usage = await client.query(`DELETE FROM usage_events WHERE workspace_id = $1`, [input.workspaceId]);
    await client.query(
      `UPDATE credit_balances SET plan_balance = 0, purchased_balance = 0, overage_used = 0, unbilled_shortfall = 0
       WHERE workspace_id = $1`,
      [input.workspaceId],
    );
    await client.query(`UPDATE workspaces SET status = 'deleted', updated_at = now() WHERE id = $1`, [input.workspaceId]);
    return { usageEvents: usage.rowCount ?? 0, ledgerEntries: ledger.rowCount ?? 0 };
  });
}
