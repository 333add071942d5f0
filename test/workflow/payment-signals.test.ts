// Payment outcomes Stripe reports to a workspace's workflow (signals): a late
// success for a sale that was refused is refunded, not kept; a signal whose
// handling fails part-way is handled again, not dropped.
import { ApplicationFailure } from '@temporalio/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BillingActivities } from '../../activities';
import { getInvoice } from '../../src/invoices/store';
import { createStripeClient } from '../../src/payments/stripe-client';
import { BillingTestEnv } from '../helpers/billing-env';
import { historyChain, scheduledActivities } from '../helpers/workflow-history';

let t: BillingTestEnv;
let stripe: Stripe;
beforeAll(async () => {
  t = await BillingTestEnv.create();
  stripe = createStripeClient({ secretKey: 'sk_test_signals', apiBase: t.sandbox.url });
});
afterAll(async () => {
  await t?.teardown();
});

/** Polls until `check` holds (activities run in real time). */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The customer pays the invoice outside the workflow (Stripe's hosted page, a working card); Stripe reports it. */
async function paidFromHostedPage(workspaceId: string, invoiceId: string, eventId: string): Promise<string> {
  const { rows: [ws] } = await t.pool.query<{ stripe_customer_id: string }>(`SELECT stripe_customer_id FROM workspaces WHERE id = $1`, [workspaceId]);
  const invoice = (await getInvoice(t.pool, invoiceId))!;
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: ws!.stripe_customer_id });
  const pi = await stripe.paymentIntents.create({
    amount: invoice.totalCents, currency: 'usd', customer: ws!.stripe_customer_id, payment_method: card.id, confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    metadata: { workspace_id: workspaceId, invoice_id: invoiceId, invoice_number: invoice.number, attempt: 'hosted' },
  });
  expect(pi.status).toBe('succeeded');
  await t.workflows.signalPayment(workspaceId, { eventId, type: 'payment_succeeded', invoiceId, paymentIntentId: pi.id });
  return pi.id;
}

describe('payment signals', () => {
  it('a refused upgrade cancels its PaymentIntent; a success still paid for its void invoice is refunded automatically', async () => {
    const id = 'late-upgrade';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_authenticationRequired' });
    await expect(t.workflows.changePlan(id, { plan: 'pro' }, 'req-upgrade')).rejects.toMatchObject({ code: 'payment_failed' });
    const [upgrade] = (await t.invoices(id)).filter((i) => i.kind === 'upgrade');
    expect(upgrade).toMatchObject({ status: 'void' });
    // The customer can no longer complete the off-session PaymentIntent Stripe declined for want of 3-D Secure.
    const intents = t.sandbox.paymentIntents().filter((p) => p.metadata.invoice_id === upgrade!.id);
    expect(intents.map((p) => p.status)).toEqual(['canceled']);

    // ... but pays the void invoice anyway: the money goes back, and the invoice says so.
    const late = await paidFromHostedPage(id, upgrade!.id, 'evt_late_upgrade_1');
    const refund = await until('the refund', () => t.sandbox.refunds().find((r) => r.payment_intent === late));
    expect(refund.amount).toBe(upgrade!.total_cents);
    const stored = await until('the refund written on the invoice', async () => {
      const inv = await getInvoice(t.pool, upgrade!.id);
      return inv?.statusNote?.includes(late) ? inv : undefined;
    });
    expect(stored).toMatchObject({ status: 'void', statusNote: expect.stringContaining('refunded automatically') });
    expect((await t.state(id)).workspace).toMatchObject({ plan: 'free' }); // the sale stays refused
    await until('the invoice re-rendered with its refund', async () =>
      scheduledActivities(await historyChain(t.env.client, id)).some((a) => a.summary === 'Re-render invoice with its refund') || undefined,
    );
  });

  it('a payment signal whose handling fails part-way is handled again after the pause, not dropped', async () => {
    const id = 'signal-retried';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
    await t.sleepUntil(workspace.termEnd + 60_000);
    const failing = await t.waitFor(id, (x) => x.workspace.termIndex === 1 && x.unpaidInvoices.length === 1, 'failed renewal');
    const invoiceId = failing.unpaidInvoices[0]!.invoiceId;

    // Re-rendering the paid invoice fails once, for good (as a broken template would).
    const real = t.realActivities();
    let failed: () => void = () => undefined;
    const failedOnce = new Promise<void>((resolve) => (failed = resolve));
    let armed = true;
    await t.startWorker({
      ...real,
      finalizeInvoice: async (input) => {
        if (armed && input.invoiceId === invoiceId) {
          armed = false;
          failed();
          throw ApplicationFailure.nonRetryable('simulated: rendering failed', 'RenderFailed');
        }
        return real.finalizeInvoice(input);
      },
    } satisfies BillingActivities);
    try {
      const paymentIntentId = await paidFromHostedPage(id, invoiceId, 'evt_signal_retried_1');
      await failedOnce;
      await t.env.sleep(61 * 60_000); // the blocked step's pause (1 h), well before the next dunning retry (1 day)
      const after = await t.waitFor(id, (x) => x.unpaidInvoices.length === 0, 'the signal handled again');
      expect(after.workspace.status).toBe('active');
      expect(await getInvoice(t.pool, invoiceId)).toMatchObject({ status: 'paid', paymentReference: paymentIntentId, pdfStatus: 'paid' });
    } finally {
      await t.startWorker(real);
    }
  });
});
