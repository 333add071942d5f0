// Rule 13: a failed renewal payment is retried after 1, 3 and 7 days while
// service continues; after the last failure the workspace is past_due and
// usage answers 402 payment_required until a payment succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
  await t.sleepUntil(workspace.termEnd + 60_000);
  const s = await t.waitFor(id, (x) => x.workspace.termIndex === 1 && x.unpaidInvoices.length === 1, 'failed renewal');
  return { failedAt: s.unpaidInvoices[0]!.firstFailedAt, invoiceId: s.unpaidInvoices[0]!.invoiceId };
}

const attempts = async (id: string) => (await t.state(id)).unpaidInvoices[0]?.attempts;

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
    expect(await t.use(id)).toMatchObject({ ok: false, status: 402, code: 'payment_required' });

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
    expect(await t.use(id)).toMatchObject({ ok: true });
  });
});
