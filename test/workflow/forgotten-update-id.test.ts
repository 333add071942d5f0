// An upgrade under an update id the workflow no longer remembers (issue 11,
// defect 8), on a worker that keeps workflows cached as production workers do.
// The test needs a run of about 500 events (200 updates push the first answer
// out of the workflow's memory); the other workflow tests' worker has no
// cache, so every workflow task of the renewal and every state query would
// replay those 500 events from the start (seconds each on a loaded machine:
// the test timed out). Replay of such histories is replay.test.ts's job.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingTestEnv } from '../helpers/billing-env';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create({ stickyCache: true });
});
afterAll(async () => {
  await t?.teardown();
});

const chargesFor = (id: string) => t.sandbox.charges().filter((c) => c.metadata.workspace_id === id && c.status === 'succeeded');

describe('an update id the workflow forgot', () => {
  // Issue 11, defect 8: the upgrade invoice was keyed by the update id (the client's Idempotency-Key), so an upgrade
  // Pro -> Growth under a key the workflow no longer remembered got the paid Free -> Pro invoice back and was not charged.
  it('an upgrade under an update id the workflow forgot is charged on its own invoice, not on the earlier paid one', async () => {
    const id = 'idem-forgotten-key';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const toPro = await t.workflows.changePlan(id, { plan: 'pro' }, 'reused-key');
    // 200 later updates (resume without a cancellation: no activity) push the first answer out of the workflow's memory.
    await Promise.all(Array.from({ length: 200 }, (_, i) => t.workflows.resume(id, `later-${i}`)));
    const handle = t.env.client.workflow.getHandle(workflowIdFor(id));
    const firstRunId = (await handle.describe()).runId;
    await t.sleepUntil(workspace.termEnd + 60_000); // continue-as-new: Temporal's own update-id dedupe is per run
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    // The renewal is visible before the run ends: an update sent in between would meet the first run's dedupe.
    await vi.waitFor(async () => expect((await handle.describe()).runId).not.toBe(firstRunId), { timeout: 60_000, interval: 200 });
    const charged = chargesFor(id).length;
    const toGrowth = await t.workflows.changePlan(id, { plan: 'growth' }, 'reused-key');
    expect(toGrowth).toMatchObject({ effective: 'immediately', plan: 'growth', currentPlan: 'growth' });
    expect(toGrowth.invoiceId).not.toBe(toPro.invoiceId);
    expect(chargesFor(id)).toHaveLength(charged + 1);
    expect(await t.balances(id)).toMatchObject({ plan_balance: 1000 });
  }, 180_000);

});
