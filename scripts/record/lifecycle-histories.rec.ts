// Records the histories of a full workspace lifecycle into
// test/workflow/histories/, for the replay test that guards determinism.
// Run with `npm run record:histories` after an intentional, patched change
// (write-histories.ts never overwrites: HISTORY_SET=<name> records a new set).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingTestEnv, DAY } from '../../test/helpers/billing-env';
import { recordChain } from './write-histories';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

it('records a lifecycle: sign-up, usage, purchase, upgrade, settings, renewal, cancel, retention, purge', async () => {
  const id = 'replay-lifecycle';
  await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
  const { workspace } = await t.state(id);
  await t.useCredits(id, 20);
  await t.env.sleep(3 * DAY);
  await t.workflows.purchaseCredits(id, { credits: 200, idempotencyKey: 'rec-buy' });
  await t.workflows.changePlan(id, { plan: 'pro' });
  await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 500 });
  await t.workflows.setFeature(id, 'slack', false);
  await t.workflows.changePlan(id, { plan: 'free' }); // scheduled downgrade
  await t.useCredits(id, 320); // plan, purchased, then overage
  await t.sleepUntil(workspace.termEnd + 60_000);
  const renewed = await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
  await t.workflows.cancel(id);
  await t.sleepUntil(renewed.workspace.termEnd + 60_000);
  await t.waitFor(id, (x) => x.workspace.status === 'cancelled', 'cancelled');
  await t.sleepUntil(renewed.workspace.termEnd + 31 * DAY);
  await t.waitFor(id, (x) => x.workspace.status === 'deleted', 'purged');

  const files = await recordChain(t.env.client, workflowIdFor(id), 'lifecycle');
  expect(files).toHaveLength(3); // term 0, term 1, retention
});
