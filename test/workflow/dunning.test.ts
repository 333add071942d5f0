// Rule 13: a failed renewal payment is retried after 1, 3 and 7 days while
// service continues; after the last failure the workspace is past_due and
// usage answers 402 payment_required until a payment succeeds.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BillingTestEnv, DAY } from '../helpers/billing-env';
import { payOutOfBand } from '../helpers/out-of-band-payment';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

/** A Pro workspace whose card starts declining before its first renewal; returns when that renewal failed. */
async function renewalFails(id: string) {
  await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
  const { workspace } = await t.state(id);
  await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail'); // attaches, then declines every charge
  await t.sleepUntil(workspace.termEnd + 60_000);
  const s = await t.waitFor(id, (x) => x.workspace.termIndex === 1 && x.unpaidInvoices.length === 1, 'failed renewal');
  return { failedAt: s.unpaidInvoices[0]!.firstFailedAt, invoiceId: s.unpaidInvoices[0]!.invoiceId };
}

const attempts = async (id: string) => (await t.state(id)).unpaidInvoices[0]?.attempts;

/** A Pro workspace whose renewal and every retry failed: past_due. */
async function pastDue(id: string) {
  const failed = await renewalFails(id);
  await t.sleepUntil(failed.failedAt + 7 * DAY + 60_000);
  await t.waitFor(id, (x) => x.workspace.status === 'past_due', 'past_due');
  return failed;
}

/** The read model (what usage decides on) is synced just after the workflow's state changes. */
async function readModelStatus(id: string, status: string) {
  await vi.waitFor(async () => {
    const { rows } = await t.pool.query<{ status: string }>(`SELECT status FROM workspaces WHERE id = $1`, [id]);
    expect(rows[0]?.status, `read model of ${id}`).toBe(status);
  }, { timeout: 10_000, interval: 50 });
}

/** After a successful payment: nothing unpaid, active, the failed invoice paid, usage allowed again. */
async function collected(id: string, invoiceId: string) {
  const s = await t.waitFor(id, (x) => x.workspace.status === 'active', 'active again').catch(() => t.state(id));
  expect(s.workspace.status).toBe('active');
  expect(s.unpaidInvoices).toEqual([]);
  expect(await invoiceStatus(id, invoiceId)).toBe('paid');
  await readModelStatus(id, 'active');
  expect((await t.use(id)).ok).toBe(true);
}

const invoiceStatus = async (id: string, invoiceId: string) => (await t.invoices(id)).find((i) => i.id === invoiceId)?.status;

describe('dunning', () => {
  it('retries after 1, 3 and 7 days; service continues; the fourth attempt succeeds', async () => {
    const id = 'dunning-recovers';
    const { failedAt, invoiceId } = await renewalFails(id);
    expect(await attempts(id)).toBe(1);
    expect((await t.state(id)).workspace.status).toBe('active');
    expect((await t.use(id)).ok).toBe(true); // service continues meanwhile

    for (const [day, n] of [[1, 2], [3, 3]] as const) {
      await t.sleepUntil(failedAt + day * DAY - 60_000);
      expect(await attempts(id)).toBe(n - 1); // not before its day
      await t.sleepUntil(failedAt + day * DAY + 60_000);
      await t.waitFor(id, (x) => x.unpaidInvoices[0]?.attempts === n, `attempt ${n}`);
      expect((await t.state(id)).workspace.status).toBe('active');
    }

    await t.workflows.setPaymentMethod(id, 'pm_card_visa'); // the customer fixes the card
    expect(await attempts(id)).toBe(3); // not retried at once while the account is in good standing
    await t.sleepUntil(failedAt + 7 * DAY + 60_000);
    const s = await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'successful retry');
    expect(s.workspace.status).toBe('active');
    const inv = (await t.invoices(id)).find((i) => i.id === invoiceId);
    expect(inv).toMatchObject({ status: 'paid' });
    const charges = t.sandbox.charges().filter((c) => c.metadata.invoice_id === invoiceId);
    expect(charges.map((c) => c.status)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
  });

  it('all retries failing -> past_due -> usage refused -> a payment succeeds -> active', async () => {
    const id = 'dunning-past-due';
    const { failedAt } = await renewalFails(id);
    await t.sleepUntil(failedAt + 7 * DAY + 60_000);
    const s = await t.waitFor(id, (x) => x.workspace.status === 'past_due', 'past_due');
    expect(s.unpaidInvoices[0]!.attempts).toBe(4);
    const row = await t.pool.query(`SELECT status FROM workspaces WHERE id = $1`, [id]);
    expect(row.rows[0].status).toBe('past_due');
    expect(await t.use(id)).toMatchObject({ ok: false, code: 'payment_required' });

    await t.workflows.setPaymentMethod(id, 'pm_card_visa'); // a past-due account is retried at once
    const back = await t.waitFor(id, (x) => x.workspace.status === 'active', 'active again');
    expect(back.unpaidInvoices).toEqual([]);
    expect((await t.use(id)).ok).toBe(true);
  });

  it('a Stripe payment_intent.succeeded webhook for the unpaid invoice also ends past_due, once', async () => {
    const id = 'dunning-webhook';
    const { failedAt, invoiceId } = await renewalFails(id);
    await t.sleepUntil(failedAt + 7 * DAY + 60_000);
    await t.waitFor(id, (x) => x.workspace.status === 'past_due', 'past_due');

    // Paid out of band (Stripe's hosted page, another card); the workflow checks the payment with Stripe.
    const paymentIntentId = await payOutOfBand(t, id, invoiceId);
    const signal = { eventId: 'evt_paid_out_of_band', type: 'payment_succeeded' as const, invoiceId, paymentIntentId };
    await t.workflows.signalPayment(id, signal);
    await t.workflows.signalPayment(id, signal); // Stripe redelivers: ignored
    const s = await t.waitFor(id, (x) => x.workspace.status === 'active', 'active again');
    expect(s.unpaidInvoices).toEqual([]);
    expect((await t.invoices(id)).find((i) => i.id === invoiceId)).toMatchObject({ status: 'paid' });
    await readModelStatus(id, 'active');
    expect(await t.use(id)).toMatchObject({ ok: true });
  });
});

// Rule 13: past_due lasts "until a payment succeeds". Whatever charge succeeds on the
// account, its unpaid invoices are retried at once and the status follows.
describe('a successful payment ends past_due', () => {
  it('the next renewal charge succeeds: the unpaid invoice is collected at once, active again', async () => {
    const id = 'past-due-renewal-succeeds';
    const { invoiceId } = await pastDue(id);
    await t.cardNowBehavesLike(id, 'pm_card_visa'); // the bank approves again; nobody tells us
    const { workspace } = await t.state(id);
    await t.sleepUntil(workspace.termEnd + 60_000);
    const renewed = await t.waitFor(id, (x) => x.workspace.termIndex === 2, 'second renewal');
    const s = await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'unpaid invoice collected').catch(() => renewed);
    expect(s.unpaidInvoices).toEqual([]);
    expect(s.workspace.status).toBe('active');
    expect(await invoiceStatus(id, invoiceId)).toBe('paid');
    expect((await t.invoices(id)).filter((i) => i.kind === 'renewal').map((i) => i.status)).toEqual(['paid', 'paid', 'paid']);
    await readModelStatus(id, 'active');
    expect((await t.use(id)).ok).toBe(true);
  });

  it('a credit purchase succeeds: the unpaid invoice is collected at once, active again', async () => {
    const id = 'past-due-purchase-succeeds';
    const { invoiceId } = await pastDue(id);
    await t.cardNowBehavesLike(id, 'pm_card_visa');
    const purchase = await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'after-past-due' });
    expect(purchase.status).toBe('paid');
    await collected(id, invoiceId);
  });

  it('an upgrade is paid: the unpaid invoice is collected at once, active again', async () => {
    const id = 'past-due-upgrade-succeeds';
    const { invoiceId } = await pastDue(id);
    await t.cardNowBehavesLike(id, 'pm_card_visa');
    const upgrade = await t.workflows.changePlan(id, { plan: 'growth' });
    expect(upgrade.effective).toBe('immediately');
    await collected(id, invoiceId);
  });

  it('a webhook reports one unpaid invoice paid: the other unpaid one is retried at once, not days later', async () => {
    const id = 'past-due-webhook-collects-rest';
    const first = await pastDue(id);
    const { workspace } = await t.state(id);
    await t.sleepUntil(workspace.termEnd + 60_000); // the next renewal fails too
    const two = await t.waitFor(id, (x) => x.workspace.termIndex === 2 && x.unpaidInvoices.length === 2, 'second failed renewal');
    const second = two.unpaidInvoices.find((u) => u.invoiceId !== first.invoiceId)!;

    await t.cardNowBehavesLike(id, 'pm_card_visa'); // the card on file works again
    // The customer paid the first one on Stripe's page (a real PaymentIntent: the workflow checks it with Stripe).
    const paymentIntentId = await payOutOfBand(t, id, first.invoiceId);
    await t.workflows.signalPayment(id, { eventId: 'evt_paid_first', type: 'payment_succeeded', invoiceId: first.invoiceId, paymentIntentId });
    const s = await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'both settled').catch(() => t.state(id));
    expect(s.unpaidInvoices).toEqual([]);
    expect(s.workspace.status).toBe('active');
    expect(await invoiceStatus(id, second.invoiceId)).toBe('paid');
  });

  it('a retry at once that fails again keeps the 1/3/7-day schedule', async () => {
    const id = 'extra-attempt-keeps-schedule';
    const { failedAt, invoiceId } = await renewalFails(id);
    // The card works for one purchase, then declines again before the unpaid invoice is retried at once.
    await t.cardNowBehavesLike(id, 'pm_card_visa');
    const real = t.realActivities();
    await t.startWorker({
      ...real,
      grantPurchasedCredits: async (input) => {
        await t.cardNowBehavesLike(id, 'pm_card_chargeCustomerFail');
        return real.grantPurchasedCredits(input);
      },
    });
    try {
      await t.workflows.purchaseCredits(id, { credits: 100, idempotencyKey: 'one-good-charge' });
      const s = await t.waitFor(id, (x) => x.unpaidInvoices[0]?.attempts === 2, 'retried at once');
      expect(s.unpaidInvoices[0]).toMatchObject({ invoiceId, attempts: 2, extraAttempts: 1 });
      expect(s.workspace.status).toBe('active');
      await t.sleepUntil(failedAt + DAY + 60_000); // the day-1 retry still happens
      await t.waitFor(id, (x) => x.unpaidInvoices[0]?.attempts === 3, 'day-1 retry');
    } finally {
      await t.startWorker(real);
    }
  });
});
