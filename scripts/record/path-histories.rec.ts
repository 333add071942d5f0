// Records one short history per billing path into the replay corpus
// (test/workflow/histories/<path>-runN.json, every run of a continue-as-new
// chain), on the time-skipping server with the real activities, Postgres and
// the Stripe sandbox. test/workflow/replay.test.ts replays them all.
// Run with `npm run record:histories` only after an intentional, patched change
// (see write-histories.ts: it never overwrites; HISTORY_SET=<name> records a new set).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../workflows/definitions';
import { setTimeout as sleep } from 'node:timers/promises';
import { BillingTestEnv, DAY } from '../../test/helpers/billing-env';
import { timerSummaries } from '../../test/helpers/workflow-history';
import { recordChain } from './write-histories';
import { blockRenewal } from '../../test/helpers/blocked-renewal';
import { payOutOfBand } from '../../test/helpers/out-of-band-payment';

const HOUR = 3_600_000;
let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

/** Writes the workspace's chain as <pathName>-runN.json. */
async function record(id: string, pathName: string, runs: number, runId?: string): Promise<void> {
  const files = await recordChain(t.env.client, workflowIdFor(id), pathName, runId);
  expect(files).toHaveLength(runs);
}

/** Advances past the current term's end and waits for the renewal into the next term. */
async function renew(id: string) {
  const { workspace } = await t.state(id);
  await t.sleepUntil(workspace.termEnd + 60_000);
  return t.waitFor(id, (x) => x.workspace.termIndex === workspace.termIndex + 1, `renewal of ${id}`);
}

/** Waits until the workflow sleeps on a blocked step (only then is a plan change refused rather than queued). */
async function blockedTimerStarted(id: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const { events } = await t.env.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    if (timerSummaries(events ?? []).some((s) => s.startsWith('Blocked'))) return;
    await sleep(50);
  }
  throw new Error(`${id}: no blocked step`);
}

describe('replay corpus: one history per path', () => {
  it('sign-up declined, then paid with another card', async () => {
    const id = 'rec-signup';
    await expect(t.create({ id, plan: 'pro', paymentMethod: 'pm_card_chargeCustomerFail' })).rejects.toMatchObject({ code: 'payment_failed' });
    const declinedRun = (await t.env.client.workflow.getHandle(workflowIdFor(id)).describe()).runId;
    await record(id, 'signup-declined', 1, declinedRun);
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    expect((await t.state(id)).workspace.status).toBe('active');
    await record(id, 'signup-paid', 1);
  });

  it('renewal with overage', async () => {
    const id = 'rec-overage';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 500 });
    expect(await t.use(id, { action: 'ai_assist', tokens: 130_000, alreadyPerformed: true })).toMatchObject({ ok: true });
    await renew(id);
    const renewal = (await t.invoices(id)).filter((i) => i.kind === 'renewal').at(-1)!;
    expect(renewal.total_cents).toBeGreaterThan(2900); // base fee plus last term's overage
    await record(id, 'renewal-overage', 2);
  });

  it('dunning to past_due, then recovery with a new card', async () => {
    const id = 'rec-dunning';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
    const failed = await renew(id);
    await t.waitFor(id, (x) => x.unpaidInvoices.length === 1, 'failed renewal');
    const firstFailedAt = (await t.state(id)).unpaidInvoices[0]!.firstFailedAt;
    expect(failed.workspace.termIndex).toBe(1);
    await t.sleepUntil(firstFailedAt + 7 * DAY + 60_000);
    await t.waitFor(id, (x) => x.workspace.status === 'past_due', 'past_due');
    await t.workflows.setPaymentMethod(id, 'pm_card_visa');
    await t.waitFor(id, (x) => x.workspace.status === 'active' && x.unpaidInvoices.length === 0, 'recovered');
    await record(id, 'dunning-past-due-recovery', 2);
  });

  it('upgrade paid, then an upgrade declined', async () => {
    const id = 'rec-upgrade';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
    expect(await t.workflows.changePlan(id, { plan: 'pro' })).toMatchObject({ effective: 'immediately' });
    await t.cardNowBehavesLike(id, 'pm_card_chargeCustomerFail');
    await expect(t.workflows.changePlan(id, { plan: 'growth' })).rejects.toMatchObject({ code: 'payment_failed' });
    expect((await t.state(id)).workspace.plan).toBe('pro');
    await record(id, 'upgrade-paid-declined', 1);
  });

  it('purchase declined, then retried with the same key and paid', async () => {
    const id = 'rec-purchase';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.cardNowBehavesLike(id, 'pm_card_chargeCustomerFail');
    await expect(t.workflows.purchaseCredits(id, { credits: 200, idempotencyKey: 'buy-1' })).rejects.toMatchObject({ code: 'payment_failed' });
    await t.cardNowBehavesLike(id, 'pm_card_visa');
    expect(await t.workflows.purchaseCredits(id, { credits: 200, idempotencyKey: 'buy-1' })).toMatchObject({ status: 'paid' });
    await record(id, 'purchase-declined-retried', 1);
  });

  it('downgrade scheduled, applied at renewal', async () => {
    const id = 'rec-downgrade';
    await t.create({ id, plan: 'growth', paymentMethod: 'pm_card_visa' });
    expect(await t.workflows.changePlan(id, { plan: 'pro' })).toMatchObject({ effective: 'at_renewal' });
    expect((await renew(id)).workspace.plan).toBe('pro');
    await record(id, 'downgrade-at-renewal', 2);
  });

  it('downgrade scheduled, then withdrawn by choosing the current plan again (PLAN_CHANGE_SAYS_WITHDRAWN)', async () => {
    const id = 'rec-downgrade-withdrawn';
    await t.create({ id, plan: 'growth', paymentMethod: 'pm_card_visa' });
    expect(await t.workflows.changePlan(id, { plan: 'pro' })).toMatchObject({ effective: 'at_renewal' });
    expect(await t.workflows.changePlan(id, { plan: 'growth' })).toMatchObject({ effective: 'withdrawn' });
    expect(await t.workflows.changePlan(id, { plan: 'growth' })).toMatchObject({ effective: 'unchanged' });
    await record(id, 'downgrade-withdrawn', 1);
  });

  it('cancel with overage, retention, purge', async () => {
    const id = 'rec-cancel';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 0 });
    expect(await t.use(id, { action: 'ai_assist', tokens: 110_000, alreadyPerformed: true })).toMatchObject({ ok: true });
    const { workspace } = await t.state(id);
    await t.workflows.cancel(id);
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.phase === 'retention', 'retention');
    expect((await t.invoices(id)).map((i) => i.kind)).toContain('final');
    await t.sleepUntil(workspace.termEnd + 31 * DAY);
    await t.waitFor(id, (x) => x.workspace.status === 'deleted', 'purged');
    await record(id, 'cancel-retention-purge', 2);
  });

  it('re-subscribe during retention', async () => {
    const id = 'rec-resubscribe';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    await t.workflows.cancel(id);
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.phase === 'retention', 'retention');
    await t.sleepUntil(workspace.termEnd + 5 * DAY);
    expect(await t.workflows.resume(id)).toMatchObject({ status: 'active' });
    await t.waitFor(id, (x) => x.phase === 'subscribed', 'subscribed again');
    await record(id, 'resubscribe', 3);
  });

  it('a blocked renewal step refuses an upgrade, recovers, then the upgrade applies', async () => {
    const id = 'rec-blocked';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const block = await blockRenewal(t);
    try {
      await t.sleepUntil(workspace.termEnd + 60_000);
      await blockedTimerStarted(id);
      expect(block.refusals()).toBe(1);
      await expect(t.workflows.changePlan(id, { plan: 'growth' })).rejects.toMatchObject({ code: 'renewal_pending' });
      block.unblock(); // ops fixed the cause: the next retry of the step renews
      await t.sleepUntil(workspace.termEnd + 2 * HOUR);
      await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal after the block');
      expect(await t.workflows.changePlan(id, { plan: 'growth' })).toMatchObject({ effective: 'immediately' });
    } finally {
      await block.restore();
    }
    await record(id, 'blocked-step-recovery', 2);
  });

  it('an imported anchor renews on its own dates', async () => {
    const id = 'rec-imported';
    const anchorAt = (await t.now()) - 40 * DAY;
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' }, { anchorAt });
    expect((await t.state(id)).workspace.anchorAt).toBe(anchorAt);
    await renew(id);
    await record(id, 'imported-anchor', 2);
  });

  it('a continue-as-new chain over three renewals', async () => {
    const id = 'rec-chain';
    await t.create({ id, plan: 'free' });
    for (let i = 0; i < 3; i++) {
      await t.useCredits(id, 2);
      await renew(id);
    }
    await record(id, 'continue-as-new-chain', 4);
  }, 120_000);

  it('sign-up with a card Stripe rejects when attached', async () => {
    const id = 'rec-signup-rejected';
    await expect(t.create({ id, plan: 'pro', paymentMethod: 'pm_card_notKnownToStripe' })).rejects.toMatchObject({ code: 'payment_method_rejected' });
    const rejectedRun = (await t.env.client.workflow.getHandle(workflowIdFor(id)).describe()).runId;
    await record(id, 'signup-card-rejected', 1, rejectedRun);
  });

  it('a failed renewal paid out of band: Stripe webhooks settled (a redelivery and a failure dropped)', async () => {
    const id = 'rec-webhook';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
    await renew(id);
    const { unpaidInvoices } = await t.waitFor(id, (x) => x.unpaidInvoices.length === 1, 'failed renewal');
    const invoiceId = unpaidInvoices[0]!.invoiceId;
    await t.workflows.signalPayment(id, { eventId: 'evt_rec_failed', type: 'payment_failed', invoiceId, paymentIntentId: 'pi_rec_failed', code: 'card_declined' });
    const paymentIntentId = await payOutOfBand(t, id, invoiceId);
    const paid = { eventId: 'evt_rec_paid', type: 'payment_succeeded' as const, invoiceId, paymentIntentId };
    await t.workflows.signalPayment(id, paid);
    await t.workflows.signalPayment(id, paid); // Stripe redelivers: dropped
    await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'settled by the webhook');
    expect((await t.invoices(id)).find((i) => i.id === invoiceId)).toMatchObject({ status: 'paid' });
    await record(id, 'payment-webhook', 2);
  });

  it('a declined purchase paid anyway on Stripe: the webhook refunds the payment of its void invoice', async () => {
    const id = 'rec-refund';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.cardNowBehavesLike(id, 'pm_card_chargeCustomerFail');
    await expect(t.workflows.purchaseCredits(id, { credits: 200, idempotencyKey: 'buy-1' })).rejects.toMatchObject({ code: 'payment_failed' });
    const invoiceId = (await t.invoices(id)).find((i) => i.kind === 'credit_purchase' && i.status === 'void')!.id;
    const paymentIntentId = await payOutOfBand(t, id, invoiceId);
    await t.workflows.signalPayment(id, { eventId: 'evt_rec_void_paid', type: 'payment_succeeded', invoiceId, paymentIntentId });
    // Recorded once the workflow rendered the invoice again with its refund (the refund itself is written before that).
    const rendered = async () => {
      const { events } = await t.env.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const types = (events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []);
      return types.lastIndexOf('finalizeInvoice') > types.lastIndexOf('settlePaymentSucceeded') && types.includes('settlePaymentSucceeded');
    };
    for (let i = 0; i < 300 && !(await rendered()); i++) await sleep(50);
    expect(await rendered()).toBe(true);
    const { rowCount } = await t.pool.query(`SELECT 1 FROM invoices WHERE id = $1 AND status = 'void' AND status_note LIKE '%refunded%'`, [invoiceId]);
    expect(rowCount).toBe(1);
    await record(id, 'late-payment-refund', 1);
  });
});
