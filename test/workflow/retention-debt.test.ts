// Debt survives cancellation: unpaid invoices stay collectable through
// retention (dunning retries, payment webhooks), re-subscribing collects them
// first or is refused with the amount due, and the purge keeps them for finance.
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

/** A Pro workspace whose first renewal and every retry fail (past_due), then cancelled: returns in retention with the unpaid invoice. */
async function pastDueThenCancelled(id: string) {
  await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
  const { workspace } = await t.state(id);
  await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
  await t.sleepUntil(workspace.termEnd + 60_000);
  const failed = await t.waitFor(id, (x) => x.unpaidInvoices.length === 1, 'failed renewal');
  await t.sleepUntil(failed.unpaidInvoices[0]!.firstFailedAt + 7 * DAY + 60_000);
  const pastDue = await t.waitFor(id, (x) => x.workspace.status === 'past_due', 'past_due');
  await t.workflows.cancel(id);
  await t.sleepUntil(pastDue.workspace.termEnd + 60_000);
  const s = await t.waitFor(id, (x) => x.phase === 'retention', 'retention');
  const invoice = (await t.invoices(id)).find((i) => i.id === failed.unpaidInvoices[0]!.invoiceId)!;
  expect(invoice.status).toBe('payment_failed');
  return { invoice, retention: s };
}

describe('unpaid invoices through cancellation and retention', () => {
  it('re-subscribing is refused with the amount due while the debt cannot be collected, then collects it first with a new card', async () => {
    const id = 'debt-resubscribe';
    const { invoice, retention } = await pastDueThenCancelled(id);
    expect(retention.unpaidInvoices.map((u) => u.invoiceId)).toEqual([invoice.id]);

    const refused = t.workflows.resume(id);
    await expect(refused).rejects.toMatchObject({
      code: 'payment_required',
      details: { amountDueCents: invoice.total_cents, invoiceIds: [invoice.id] },
    });
    expect((await t.state(id)).phase).toBe('retention');
    // Nothing was issued for the refused new term.
    expect((await t.invoices(id)).filter((i) => i.period_start.getTime() > retention.workspace.termEnd)).toEqual([]);

    await t.workflows.setPaymentMethod(id, 'pm_card_visa');
    await t.workflows.resume(id);
    const s = await t.waitFor(id, (x) => x.phase === 'subscribed', 'subscribed again');
    expect(s.unpaidInvoices).toEqual([]);
    expect(s.workspace.status).toBe('active');
    const invoices = await t.invoices(id);
    expect(invoices.find((i) => i.id === invoice.id)).toMatchObject({ status: 'paid' });
    expect(invoices.filter((i) => i.status === 'paid' && i.period_start.getTime() === s.workspace.termStart)).toHaveLength(1);
    const debtCharges = t.sandbox.charges().filter((c) => c.metadata.invoice_id === invoice.id && c.status === 'succeeded');
    expect(debtCharges).toHaveLength(1);
  }, 120_000);

  it('a payment webhook that arrives during retention marks the unpaid invoice paid', async () => {
    const id = 'debt-webhook';
    const { invoice } = await pastDueThenCancelled(id);
    const paymentIntentId = await payOutOfBand(t, id, invoice.id); // the workflow checks the payment with Stripe
    await t.workflows.signalPayment(id, { eventId: 'evt_debt_paid_late', type: 'payment_succeeded', invoiceId: invoice.id, paymentIntentId });
    const s = await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'the late payment applied');
    expect(s.workspace.status).toBe('cancelled');
    expect((await t.invoices(id)).find((i) => i.id === invoice.id)).toMatchObject({ status: 'paid' });
    // Nothing owed any more: re-subscribing only charges the new term.
    await t.workflows.setPaymentMethod(id, 'pm_card_visa');
    await t.workflows.resume(id);
    expect((await t.state(id)).phase).toBe('subscribed');
  }, 120_000);

  it('a failed final invoice is retried on the dunning schedule during retention; still unpaid at the purge, it is kept', async () => {
    const id = 'debt-final';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 0 });
    expect(await t.use(id, { action: 'ai_assist', tokens: 160_000 })).toMatchObject({ ok: true }); // 100 plan + 60 overage
    await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
    const { workspace } = await t.state(id);
    await t.workflows.cancel(id);
    await t.sleepUntil(workspace.termEnd + 60_000);
    const cancelled = await t.waitFor(id, (x) => x.phase === 'retention' && x.unpaidInvoices.length === 1, 'failed final invoice');
    const unpaid = cancelled.unpaidInvoices[0]!;
    expect(unpaid).toMatchObject({ kind: 'final', attempts: 1 });

    await t.sleepUntil(unpaid.firstFailedAt + 7 * DAY + 60_000);
    await t.waitFor(id, (x) => x.unpaidInvoices[0]?.attempts === 4, 'every retry');
    expect((await t.state(id)).workspace.status).toBe('cancelled'); // not past_due: the subscription has ended

    await t.sleepUntil(workspace.termEnd + 31 * DAY);
    await t.waitFor(id, (x) => x.workspace.status === 'deleted', 'purge');
    const final = (await t.invoices(id)).find((i) => i.id === unpaid.invoiceId);
    expect(final).toMatchObject({ kind: 'final', status: 'payment_failed', total_cents: unpaid.totalCents });
  }, 120_000);
});
