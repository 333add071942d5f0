// Proof that the balance cache equals the ledger: used by the tests after
// every scenario, and usable by ops against production.
import type { Pool } from '../db/pool';

export interface BucketTotals {
  plan: number;
  purchased: number;
  /** This term's billable overage. */
  overageUsed: number;
  /** This term's unbilled shortfall. */
  unbilledShortfall: number;
}

export interface BalanceAudit {
  workspaceId: string;
  cache: BucketTotals;
  ledger: BucketTotals;
  consistent: boolean;
}

interface Row {
  workspace_id: string;
  c_plan: number;
  c_purchased: number;
  c_overage: number;
  c_shortfall: number;
  l_plan: number;
  l_purchased: number;
  l_overage: number;
  l_shortfall: number;
}

/** Cache vs ledger sums for one workspace, or for every workspace with a balance row. */
export async function auditBalances(pool: Pool, workspaceId?: string): Promise<BalanceAudit[]> {
  const { rows } = await pool.query<Row>(
    `SELECT b.workspace_id,
       b.plan_balance AS c_plan, b.purchased_balance AS c_purchased,
       b.overage_used AS c_overage, b.unbilled_shortfall AS c_shortfall,
       coalesce(sum(l.amount) FILTER (WHERE l.bucket = 'plan'), 0)::int8 AS l_plan,
       coalesce(sum(l.amount) FILTER (WHERE l.bucket = 'purchased'), 0)::int8 AS l_purchased,
       coalesce(-sum(l.amount) FILTER (WHERE l.bucket = 'overage' AND l.term_index = b.term_index), 0)::int8 AS l_overage,
       coalesce(-sum(l.amount) FILTER (WHERE l.bucket = 'shortfall' AND l.term_index = b.term_index), 0)::int8 AS l_shortfall
     FROM credit_balances b LEFT JOIN credit_ledger l ON l.workspace_id = b.workspace_id
     WHERE $1::text IS NULL OR b.workspace_id = $1
     GROUP BY b.workspace_id
     ORDER BY b.workspace_id`,
    [workspaceId ?? null],
  );
  return rows.map((r) => {
    const cache = { plan: r.c_plan, purchased: r.c_purchased, overageUsed: r.c_overage, unbilledShortfall: r.c_shortfall };
    const ledger = { plan: r.l_plan, purchased: r.l_purchased, overageUsed: r.l_overage, unbilledShortfall: r.l_shortfall };
    const consistent = (Object.keys(cache) as Array<keyof BucketTotals>).every((k) => cache[k] === ledger[k]);
    return { workspaceId: r.workspace_id, cache, ledger, consistent };
  });
}
