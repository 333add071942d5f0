// GET /v1/workspaces/:id as SPEC section 7 shapes it, from the read model
// and the balance cache (no lock: reads never wait for the hot path).
import type { Pool, PoolClient } from '../db/pool';
import type { Balances } from './balances';
import { IS_CREATED_WORKSPACE } from './created-workspace';

export interface WorkspaceView {
  id: string;
  plan: string;
  status: string;
  term: { start: string; end: string };
  balance: Balances;
  overage: { enabled: boolean; monthlyLimit: number; used: number };
  disabledFeatures: string[];
  cancelAt: string | null;
  retentionUntil: string | null;
  /** credits.low threshold in credits (rule 11); null = the default percentage of the plan allocation. */
  lowBalanceThreshold: number | null;
  /** A downgrade (or other change) waiting for renewal: it takes effect at the end of the current term. */
  scheduledChange: { plan: string; effectiveAt: string } | null;
}

interface Row {
  id: string;
  plan: string;
  status: string;
  term_start: Date;
  term_end: Date;
  plan_balance: number | null;
  purchased_balance: number | null;
  overage_used: number | null;
  on_demand_enabled: boolean;
  on_demand_monthly_limit: number;
  disabled_features: string[];
  cancel_at: Date | null;
  retention_until: Date | null;
  low_balance_threshold: number | null;
  scheduled_plan: string | null;
}

/** Null for an unknown id and for a sign-up that has not created the workspace. */
export async function getWorkspaceView(pool: Pool | PoolClient, workspaceId: string): Promise<WorkspaceView | null> {
  const { rows } = await pool.query<Row>(
    `SELECT w.id, w.plan, w.status, w.term_start, w.term_end, b.plan_balance, b.purchased_balance, b.overage_used,
            w.on_demand_enabled, w.on_demand_monthly_limit, w.disabled_features, w.cancel_at, w.retention_until,
            w.low_balance_threshold, w.scheduled_plan
     FROM workspaces w LEFT JOIN credit_balances b ON b.workspace_id = w.id WHERE w.id = $1 AND w.${IS_CREATED_WORKSPACE}`,
    [workspaceId],
  );
  const r = rows[0];
  if (!r) return null;
  const plan = r.plan_balance ?? 0;
  const purchased = r.purchased_balance ?? 0;
  return {
    id: r.id,
    plan: r.plan,
    status: r.status,
    term: { start: r.term_start.toISOString(), end: r.term_end.toISOString() },
    balance: { plan, purchased, total: plan + purchased },
    overage: { enabled: r.on_demand_enabled, monthlyLimit: r.on_demand_monthly_limit, used: r.overage_used ?? 0 },
    disabledFeatures: r.disabled_features,
    cancelAt: r.cancel_at?.toISOString() ?? null,
    retentionUntil: r.retention_until?.toISOString() ?? null,
    lowBalanceThreshold: r.low_balance_threshold,
    scheduledChange: r.scheduled_plan === null ? null : { plan: r.scheduled_plan, effectiveAt: r.term_end.toISOString() },
  };
}
