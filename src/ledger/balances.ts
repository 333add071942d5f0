// Balance reads for the workflow and the API (they take no lock: a read
// never waits for the hot path).
import type { Pool, PoolClient } from '../db/pool';

/** A pool, or a client inside a transaction (the fused renewal reads in its transaction). */
type Db = Pool | PoolClient;
import { LedgerError } from './errors';

export interface Balances {
  plan: number;
  purchased: number;
  total: number;
}

/** Current balance from the cache row; zeros before the first term opens. */
export async function getBalances(pool: Pool, { workspaceId }: { workspaceId: string }): Promise<Balances> {
  const { rows } = await pool.query<{ plan: number | null; purchased: number | null }>(
    `SELECT b.plan_balance AS plan, b.purchased_balance AS purchased
     FROM workspaces w LEFT JOIN credit_balances b ON b.workspace_id = w.id WHERE w.id = $1`,
    [workspaceId],
  );
  if (!rows[0]) throw new LedgerError('workspace_not_found', `workspace '${workspaceId}' does not exist`);
  const plan = rows[0].plan ?? 0;
  const purchased = rows[0].purchased ?? 0;
  return { plan, purchased, total: plan + purchased };
}

/** The buckets after a change, for display: plan, purchased, and the term's overage (on-demand) used. */
export interface BalanceAfter {
  termIndex: number;
  plan: number;
  purchased: number;
  overageUsed: number;
}

/** The balance row as it is now; null before the first term opens. */
export async function balanceAfter(pool: Db, workspaceId: string): Promise<BalanceAfter | null> {
  const { rows } = await pool.query<{ term_index: number; plan_balance: number; purchased_balance: number; overage_used: number }>(
    `SELECT term_index, plan_balance, purchased_balance, overage_used FROM credit_balances WHERE workspace_id = $1`,
    [workspaceId],
  );
  const r = rows[0];
  return r ? { termIndex: r.term_index, plan: r.plan_balance, purchased: r.purchased_balance, overageUsed: r.overage_used } : null;
}

async function termBucketTotal(pool: Db, workspaceId: string, termIndex: number, bucket: 'overage' | 'shortfall') {
  const { rows } = await pool.query<{ used: number }>(
    `SELECT coalesce(-sum(amount), 0)::int8 AS used FROM credit_ledger
     WHERE workspace_id = $1 AND bucket = $2 AND term_index = $3`,
    [workspaceId, bucket, termIndex],
  );
  return rows[0]?.used ?? 0;
}

/** Billable on-demand credits consumed in a term (invoiced with the next term's renewal). */
export function overageUsed(pool: Db, { workspaceId, termIndex }: { workspaceId: string; termIndex: number }): Promise<number> {
  return termBucketTotal(pool, workspaceId, termIndex, 'overage');
}

/** Credits of reported usage in a term that neither the buckets nor on-demand covered; not billable. */
export function unbilledShortfall(pool: Pool, { workspaceId, termIndex }: { workspaceId: string; termIndex: number }): Promise<number> {
  return termBucketTotal(pool, workspaceId, termIndex, 'shortfall');
}
