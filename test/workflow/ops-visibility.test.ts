// What ops see of a workspace in Temporal (time-skipping server, real Postgres,
// Stripe sandbox): BillingBlocked while a step is blocked, with the reason in
// the current details, cleared when it recovers (here on ops' retry request);
// the account at a glance in the current details; a refused sign-up told apart
// from a purged workspace by BillingStatus.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETENTION_DAYS } from '../../src/domain/workspace';
import { retryBlockedStepUpdate, workflowIdFor } from '../../workflows/definitions';
import { BillingBlocked, BillingStatus } from '../../workflows/search-attributes';
import { BillingTestEnv, DAY } from '../helpers/billing-env';
import { blockRenewal } from '../helpers/blocked-renewal';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

const handle = (id: string) => t.env.client.workflow.getHandle(workflowIdFor(id));
const attributes = async (id: string) => (await handle(id).describe()).typedSearchAttributes;
const details = async (id: string) =>
  (await handle(id).query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;

describe('BillingBlocked', () => {
  it('is set while the renewal is blocked, with the reason in the details; ops retry it at once after the fix and it is cleared', async () => {
    const id = 'ops-blocked-renewal';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    expect((await attributes(id)).get(BillingBlocked)).toBe(false);
    await expect(handle(id).executeUpdate(retryBlockedStepUpdate)).rejects.toMatchObject({
      cause: { type: 'invalid_state', message: 'no step of this workspace is blocked' },
    });

    const { workspace } = await t.state(id);
    const block = await blockRenewal(t, 'term 0 is still open in the ledger');
    try {
      await t.sleepUntil(workspace.termEnd + 60_000);
      await t.waitFor(id, () => block.refusals() === 1, 'the renewal blocked');
      expect((await attributes(id)).get(BillingBlocked)).toBe(true);
      expect(await details(id)).toMatch(/^\*\*BLOCKED\*\*, retrying: .*term 0 is still open in the ledger/);

      // A retry before the cause is fixed answers why it is still blocked.
      expect(await handle(id).executeUpdate(retryBlockedStepUpdate)).toEqual({ blocked: expect.stringContaining('term 0 is still open') });
      expect(block.refusals()).toBe(2);
      expect((await attributes(id)).get(BillingBlocked)).toBe(true);

      block.unblock(); // ops fixed the cause
      expect(await handle(id).executeUpdate(retryBlockedStepUpdate)).toEqual({ blocked: null });
      expect((await t.state(id)).workspace.termIndex).toBe(1);
      expect((await attributes(id)).get(BillingBlocked)).toBe(false);
      expect(await details(id)).not.toContain('BLOCKED');
      expect((await t.invoices(id)).filter((i) => i.kind === 'renewal')).toHaveLength(2); // renewed once
    } finally {
      await block.restore();
    }
  });
});

describe('current details', () => {
  it('show the account at a glance: card, balance by bucket, on-demand use and limit, term dates, unpaid invoices with amounts', async () => {
    const id = 'ops-glance';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'glance-1' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 300 });
    const { workspace } = await t.state(id);
    const text = await details(id);
    expect(text).toContain('Card on file: visa •••• 4242');
    expect(text).toMatch(/Credits after the last billing change \(.*\): plan 100, purchased 500; on-demand used 0 \(limit 300\)/);
    expect(text).toContain(`Term 0: ${new Date(workspace.termStart).toISOString().slice(0, 10)} to ${new Date(workspace.termEnd).toISOString().slice(0, 10)}`);

    await t.cardNowBehavesLike(id, 'pm_card_chargeDeclined');
    await t.sleepUntil(workspace.termEnd + 60_000);
    const s = await t.waitFor(id, (x) => x.unpaidInvoices.length === 1, 'the renewal declined');
    const due = s.unpaidInvoices[0]!;
    const amount = `$${(due.totalCents! / 100).toFixed(2)}`;
    const after = await details(id);
    expect(after).toContain(`Unpaid invoices, ${amount} due: ${due.invoiceId} (${amount}, 1 attempts: `);
    expect(after).toMatch(/plan 100, purchased 500; on-demand used 0 \(limit 300\)/); // the new term's grant
  });
});

describe('BillingStatus', () => {
  it('tells a refused sign-up (signup_failed) from a purged workspace (deleted)', async () => {
    const refused = 'ops-refused-signup';
    await expect(t.create({ id: refused, plan: 'pro', paymentMethod: 'pm_card_chargeCustomerFail' })).rejects.toMatchObject({ code: 'payment_failed' });
    const purged = 'ops-purged';
    await t.create({ id: purged, plan: 'free' });
    await t.workflows.cancel(purged);
    const { workspace } = await t.state(purged);
    await t.sleepUntil(workspace.termEnd + RETENTION_DAYS * DAY + 60_000);
    await t.waitFor(purged, (x) => x.workspace.status === 'deleted', 'purge');

    for (const [id, status] of [[refused, 'signup_failed'], [purged, 'deleted']] as const) {
      const desc = await handle(id).describe();
      expect(desc.status.name).toBe('COMPLETED');
      expect(desc.typedSearchAttributes.get(BillingStatus)).toBe(status);
    }
  });
});
