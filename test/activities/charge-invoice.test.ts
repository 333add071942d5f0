import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { getInvoice } from '../../src/invoices/store';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { nonRetryable, retryable, runActivity } from '../helpers/activities';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

// Payment outcomes: the activities drive the official stripe client against
// the in-process sandbox, and the sandbox counts what was really charged.
const utc = (iso: string) => Date.parse(iso);
const term = { start: utc('2081-05-01T00:00:00Z'), end: utc('2081-06-01T00:00:00Z') };
let pool: Pool;
let sandbox: StripeSandbox;
let stripe: Stripe;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 5);
  sandbox = await StripeSandbox.start();
  stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
  acts = activitiesWith(stripe);
});
afterAll(async () => {
  await sandbox?.close();
  await pool?.end();
});

function activitiesWith(client: Stripe) {
  return createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: client,
    outboxDir: '/nonexistent',
    seller: { name: 'Seller Inc.', address: ['1 Main St'] },
  });
}

/** A workspace (optionally with a card on file) and an open credit-purchase invoice of $10.00 + 7.25% tax. */
async function invoiceFor(card: string | null, credits = 1000) {
  const workspaceId = await insertWorkspace(pool, { id: uniqueId('pay') });
  if (card) await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: card });
  const invoice = await runActivity(acts.issueInvoice, {
    key: `purchase:${workspaceId}:p1`,
    workspaceId,
    kind: 'credit_purchase',
    periodStart: term.start,
    periodEnd: term.end,
    issuedAt: term.start + 1000,
    purchase: { credits },
  });
  return { workspaceId, invoice };
}

const chargesFor = (invoiceId: string) => sandbox.charges().filter((c) => c.metadata.invoice_id === invoiceId);

describe('ensurePaymentMethod', () => {
  it('creates the Stripe customer once, attaches the card and makes it the default', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('pm') });
    const customersBefore = sandbox.stats().customers;
    const first = await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_visa' });
    const second = await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_mastercard' });
    expect(second.customerId).toBe(first.customerId);
    expect(sandbox.stats().customers).toBe(customersBefore + 1);
    const customer = (await stripe.customers.retrieve(first.customerId)) as Stripe.Customer;
    expect(customer.metadata).toEqual({ workspace_id: workspaceId });
    expect(customer.invoice_settings.default_payment_method).toBe(second.paymentMethodId);
    const { rows } = await pool.query(`SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`, [workspaceId]);
    expect(rows[0]).toEqual({ stripe_customer_id: first.customerId, payment_method: second.paymentMethodId });
  });

  it('rejects what is not a payment method', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('pmbad') });
    await nonRetryable(runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_does_not_exist' }), 'PaymentMethodRejected');
    await nonRetryable(runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'card 4242' }), 'PaymentMethodRejected');
  });
});

describe('chargeInvoice against the sandbox', () => {
  it('charges once and marks the invoice paid with the payment reference', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_visa');
    expect(invoice.totalCents).toBe(1073); // $10.00 + 7.25% CA tax
    const result = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    expect(result).toEqual({ outcome: 'paid', paymentIntentId: expect.stringMatching(/^pi_/) });
    const pi = await stripe.paymentIntents.retrieve(result.paymentIntentId!);
    expect(pi).toMatchObject({ amount: 1073, currency: 'usd', status: 'succeeded', metadata: { workspace_id: workspaceId, invoice_id: invoice.id } });
    expect(chargesFor(invoice.id)).toHaveLength(1);
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'paid', paymentReference: pi.id });
  });

  it('a retried activity after a lost response gets the same PaymentIntent without a second charge', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    sandbox.injectFailures({ count: 1, status: 502, when: 'after', path: '/v1/payment_intents' });
    await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })); // Stripe charged; we never heard
    expect(chargesFor(invoice.id)).toHaveLength(1);
    expect((await getInvoice(pool, invoice.id))?.status).toBe('open');
    const retried = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    expect(retried.paymentIntentId).toBe(chargesFor(invoice.id)[0]!.paymentIntentId);
    expect(chargesFor(invoice.id)).toHaveLength(1);
    // and once recorded, a further retry answers from the database
    expect(await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })).toEqual(retried);
    expect(chargesFor(invoice.id)).toHaveLength(1);
  });

  it('a retry after a client timeout (the charge went through meanwhile) charges once', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    const impatient = activitiesWith(createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url, timeoutMs: 200 }));
    sandbox.setDelay(1500);
    try {
      await retryable(runActivity(impatient.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }));
    } finally {
      sandbox.setDelay(0);
    }
    await sandbox.requestsIdle();
    const result = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    expect(result.outcome).toBe('paid');
    expect(chargesFor(invoice.id)).toHaveLength(1);
  });

  it('a 5xx is a retryable failure; the retry succeeds and charges once', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    sandbox.injectFailures({ count: 1, status: 500, path: '/v1/payment_intents' });
    const err = await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }));
    expect(err.message).toMatch(/500/);
    expect(chargesFor(invoice.id)).toHaveLength(0);
    expect((await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })).outcome).toBe('paid');
    expect(chargesFor(invoice.id)).toHaveLength(1);
  });

  it("a decline is a non-retryable PaymentFailed with Stripe's reason, and the invoice says payment_failed", async () => {
    const { invoice } = await invoiceFor('pm_card_chargeDeclined');
    const { failure, details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details).toEqual({ reason: 'Your card was declined.', code: 'card_declined', declineCode: 'generic_decline', paymentIntentId: expect.stringMatching(/^pi_/) });
    expect(failure.message).toContain('Your card was declined.');
    expect(await getInvoice(pool, invoice.id)).toMatchObject({
      status: 'payment_failed',
      paymentFailure: { code: 'generic_decline', reason: 'Your card was declined.' },
    });
    // The same attempt again is the same answer, not a second try on the card.
    await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(chargesFor(invoice.id)).toHaveLength(1);
  });

  it('a dunning retry (next attempt) after a new card is a new charge that succeeds', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_chargeDeclinedInsufficientFunds');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details.declineCode).toBe('insufficient_funds');
    await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_visa' });
    const paid = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 2 });
    expect(paid.outcome).toBe('paid');
    expect(chargesFor(invoice.id).map((c) => c.status)).toEqual(['failed', 'succeeded']);
    const { rows } = await pool.query(`SELECT attempt, outcome FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt`, [invoice.id]);
    expect(rows).toEqual([
      { attempt: 1, outcome: 'failed' },
      { attempt: 2, outcome: 'succeeded' },
    ]);
  });

  it('requires_action off-session is a failed payment', async () => {
    const { invoice } = await invoiceFor('pm_card_authenticationRequired');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details).toMatchObject({ code: 'authentication_required', paymentIntentId: expect.stringMatching(/^pi_/) });
    expect((await getInvoice(pool, invoice.id))?.status).toBe('payment_failed');
    expect(chargesFor(invoice.id)).toHaveLength(0);
  });

  it('no payment method on file is a failed payment', async () => {
    const { invoice } = await invoiceFor(null);
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details.code).toBe('no_payment_method');
  });

  it('a zero-total invoice is not charged and is settled', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('zero') });
    const invoice = await runActivity(acts.issueInvoice, {
      key: `final:${workspaceId}:0`, workspaceId, kind: 'final', periodStart: term.start, periodEnd: term.end, issuedAt: term.end,
    });
    const before = sandbox.stats().paymentIntents;
    expect(await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })).toEqual({ outcome: 'not_charged' });
    expect(sandbox.stats().paymentIntents).toBe(before);
    expect((await getInvoice(pool, invoice.id))?.status).toBe('paid');
  });

  it("a total under Stripe's $0.50 minimum is not charged: it stays open, carried forward (test/activities/carry-forward.test.ts)", async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('tiny'), billingAddress: { country: 'JP' } });
    const invoice = await runActivity(acts.issueInvoice, {
      key: `final:${workspaceId}:0`, workspaceId, kind: 'final', periodStart: term.start, periodEnd: term.end, issuedAt: term.end,
      overage: { credits: 30, periodStart: term.start, periodEnd: term.end },
    });
    expect(invoice.totalCents).toBe(30);
    expect(await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })).toEqual({ outcome: 'not_charged' });
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'open', statusNote: expect.stringContaining('carried forward') });
  });

  it('markInvoicePaid records a webhook-confirmed payment once', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    const paidAt = term.start + 60_000;
    const first = await runActivity(acts.markInvoicePaid, { invoiceId: invoice.id, paymentIntentId: 'pi_fromWebhook', paidAt });
    const again = await runActivity(acts.markInvoicePaid, { invoiceId: invoice.id, paymentIntentId: 'pi_other', paidAt: paidAt + 1 });
    expect(first.status).toBe('paid');
    expect(again).toEqual(first);
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ paymentReference: 'pi_fromWebhook', paidAt });
    // a paid invoice is never charged again
    expect(await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })).toEqual({ outcome: 'paid', paymentIntentId: 'pi_fromWebhook' });
    expect(chargesFor(invoice.id)).toHaveLength(0);
    await nonRetryable(runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'x' }), 'InvoiceAlreadyPaid');
  });

  it('voidInvoice voids an unpaid invoice, which is then never charged', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    expect((await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Upgrade payment failed; plan unchanged.' })).status).toBe('void');
    await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'InvoiceVoid');
  });
});
