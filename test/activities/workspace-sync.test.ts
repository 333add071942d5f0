// The read-model sync (issue 11, item 11): the workflow numbers its writes and
// a delayed older write never overwrites a newer one.
import { describe, expect, it } from 'vitest';
import { createWorkspaceActivities, type VersionedSnapshot } from '../../activities/workspace';
import { loadPricing } from '../../src/config/pricing';
import { runActivity } from '../helpers/activities';
import { TERM_END, testPool, uniqueId, workspaceSnapshot } from '../helpers/ledger';

const pricing = loadPricing();
const pool = testPool(2);
const { syncWorkspace } = createWorkspaceActivities({ pool, pricing: () => pricing });

const snapshot = (id: string, change: Partial<VersionedSnapshot>): VersionedSnapshot => workspaceSnapshot(id, change);

const sync = (s: VersionedSnapshot) => runActivity(syncWorkspace, s);
async function rowOf(id: string) {
  const { rows } = await pool.query<{ status: string; cancel_at: Date | null; sync_version: number }>(
    `SELECT status, cancel_at, sync_version FROM workspaces WHERE id = $1`,
    [id],
  );
  return rows[0];
}

describe('read-model sync versions', () => {
  it('an older snapshot written after a newer one leaves the newer in place', async () => {
    const id = uniqueId('sync');
    await sync(snapshot(id, { syncVersion: 1 }));
    await sync(snapshot(id, { syncVersion: 3, status: 'cancelled', cancelAt: TERM_END, retentionUntil: TERM_END + 30 * 86_400_000 }));
    await sync(snapshot(id, { syncVersion: 2 })); // the delayed first attempt of an earlier write

    expect(await rowOf(id)).toEqual({ status: 'cancelled', cancel_at: new Date(TERM_END), sync_version: 3 });
  });

  it('the same version again (a retried write) and any newer one apply', async () => {
    const id = uniqueId('sync');
    await sync(snapshot(id, { syncVersion: 5, status: 'past_due' }));
    await sync(snapshot(id, { syncVersion: 5, status: 'past_due' }));
    expect(await rowOf(id)).toMatchObject({ status: 'past_due', sync_version: 5 });
    await sync(snapshot(id, { syncVersion: 6 }));
    expect(await rowOf(id)).toMatchObject({ status: 'active', sync_version: 6 });
  });

  it('an unversioned write (scheduled by older workflow code) counts as version 0: it updates only rows that have no version yet', async () => {
    const id = uniqueId('sync');
    await sync(snapshot(id, {}));
    await sync(snapshot(id, { status: 'past_due' }));
    expect(await rowOf(id)).toMatchObject({ status: 'past_due', sync_version: 0 });
    await sync(snapshot(id, { syncVersion: 1 }));
    await sync(snapshot(id, { status: 'cancelled' }));
    expect(await rowOf(id)).toMatchObject({ status: 'active', sync_version: 1 });
  });
});
