// Activities that keep the workspace read model in Postgres current: the
// usage hot path decides on it without asking Temporal.
import type { Pool } from '../src/db/pool';
import type { PricingConfig } from '../src/domain/pricing';
import type { WorkspaceSnapshot } from '../src/domain/workspace';

const ts = (ms: number | null) => (ms === null ? null : new Date(ms));

export function createWorkspaceActivities(deps: { pool: Pool; pricing: () => PricingConfig }) {
  return {
    /** The current pricing catalog (read once per workflow run, so each term sees config changes). */
    async getPricing(): Promise<PricingConfig> {
      return deps.pricing();
    },

    /** Upserts the whole snapshot: replaying it writes the same row. */
    async syncWorkspace(w: WorkspaceSnapshot): Promise<void> {
      await deps.pool.query(
        `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, plan_credits, plan_price_cents,
           status, anchor_at, term_index, term_start, term_end, scheduled_plan, on_demand_enabled,
           on_demand_monthly_limit, disabled_features, cancel_at, retention_until)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)
         ON CONFLICT (id) DO UPDATE SET
           name = EXCLUDED.name, billing_email = EXCLUDED.billing_email, billing_address = EXCLUDED.billing_address,
           plan = EXCLUDED.plan, plan_credits = EXCLUDED.plan_credits, plan_price_cents = EXCLUDED.plan_price_cents,
           status = EXCLUDED.status, anchor_at = EXCLUDED.anchor_at, term_index = EXCLUDED.term_index,
           term_start = EXCLUDED.term_start, term_end = EXCLUDED.term_end, scheduled_plan = EXCLUDED.scheduled_plan,
           on_demand_enabled = EXCLUDED.on_demand_enabled, on_demand_monthly_limit = EXCLUDED.on_demand_monthly_limit,
           disabled_features = EXCLUDED.disabled_features, cancel_at = EXCLUDED.cancel_at,
           retention_until = EXCLUDED.retention_until, updated_at = now()`,
        [
          w.id, w.name, w.billingEmail, JSON.stringify(w.billingAddress), w.plan, w.planCredits, w.planPriceCents,
          w.status, ts(w.anchorAt), w.termIndex, ts(w.termStart), ts(w.termEnd), w.scheduledPlan, w.onDemand.enabled,
          w.onDemand.monthlyLimit, w.disabledFeatures, ts(w.cancelAt), ts(w.retentionUntil),
        ],
      );
    },
  };
}
