// The workspace read-model row the workflow writes (syncWorkspace): the usage
// hot path and the API decide on it without asking Temporal.
import type { Pool, PoolClient } from '../db/pool';
import type { WorkspaceSnapshot } from '../domain/workspace';

const ts = (ms: number | null) => (ms === null ? null : new Date(ms));

/** A snapshot numbered by the workflow: a higher version is a later state. */
export type VersionedSnapshot = WorkspaceSnapshot & { syncVersion?: number };

/**
 * Upserts the whole snapshot unless the row holds a newer one: the
 * workflow numbers its writes, so a delayed older write (an earlier
 * attempt of a retried activity) cannot turn `cancelled` back into
 * `active`. Replaying a write (same version) writes the same row. Writes
 * scheduled before versions existed count as version 0. A snapshot without
 * a low-balance threshold leaves the row's as it is.
 */
export async function writeReadModel(db: Pool | PoolClient, w: VersionedSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, plan_credits, plan_price_cents,
       status, anchor_at, term_index, term_start, term_end, scheduled_plan, on_demand_enabled,
       on_demand_monthly_limit, disabled_features, cancel_at, retention_until, sync_version, low_balance_threshold)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)
     ON CONFLICT (id) DO UPDATE SET
       name = EXCLUDED.name, billing_email = EXCLUDED.billing_email, billing_address = EXCLUDED.billing_address,
       plan = EXCLUDED.plan, plan_credits = EXCLUDED.plan_credits, plan_price_cents = EXCLUDED.plan_price_cents,
       status = EXCLUDED.status, anchor_at = EXCLUDED.anchor_at, term_index = EXCLUDED.term_index,
       term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end, scheduled_plan = EXCLUDED.scheduled_plan,
       on_demand_enabled = EXCLUDED.on_demand_enabled, on_demand_monthly_limit = EXCLUDED.on_demand_monthly_limit,
       disabled_features = EXCLUDED.disabled_features, cancel_at = EXCLUDED.cancel_at,
       retention_until = EXCLUDED.retention_until, sync_version = EXCLUDED.sync_version,
       low_balance_threshold = CASE WHEN $21::boolean THEN EXCLUDED.low_balance_threshold ELSE workspaces.low_balance_threshold END,
       updated_at = now()
     WHERE workspaces.sync_version <= EXCLUDED.sync_version`,
    [
      w.id, w.name, w.billingEmail, JSON.stringify(w.billingAddress), w.plan, w.planCredits, w.planPriceCents,
      w.status, ts(w.anchorAt), w.termIndex, ts(w.termStart), ts(w.termEnd), w.scheduledPlan, w.onDemand.enabled,
      w.onDemand.monthlyLimit, w.disabledFeatures, ts(w.cancelAt), ts(w.retentionUntil), w.syncVersion ?? 0,
      w.lowBalanceThreshold ?? null, w.lowBalanceThreshold !== undefined,
    ],
  );
}
