// Activities that keep the workspace read model in Postgres current: the
// usage hot path decides on it without asking Temporal.
import type { Pool } from '../src/db/pool';
import type { PricingConfig } from '../src/domain/pricing';
import { writeReadModel, type VersionedSnapshot } from '../src/ledger/read-model';

export type { VersionedSnapshot } from '../src/ledger/read-model';

export function createWorkspaceActivities(deps: { pool: Pool; pricing: () => PricingConfig }) {
  return {
    /** The current pricing catalog (read once per workflow run, so each term sees config changes). */
    async getPricing(): Promise<PricingConfig> {
      return deps.pricing();
    },

    /** Upserts the snapshot unless the row holds a newer one (see writeReadModel). */
    async syncWorkspace(w: VersionedSnapshot): Promise<void> {
      await writeReadModel(deps.pool, w);
    },
  };
}
