import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
const outboxDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'charge-outbox-')), 'finance');

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

function activitiesWith(client: Stripe, now?: () => number) {
  return createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: client,
    outboxDir, // void invoices are delivered there
    publicBaseUrl: 'https://billing.test',
    seller: { name: 'Seller Inc.', address: ['1 Main St'] },
    ...(now ? { now } : {}),
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

  it('a card Stripe declines when it is attached is rejected and not put on file', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('pmdecl') });
    const { details } = await nonRetryable(runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_chargeDeclined' }), 'PaymentMethodRejected');
    expect(details).toMatchObject({ code: 'generic_decline', reason: 'Your card was declined.' });
    const { rows } = await pool.query(`SELECT payment_method FROM workspaces WHERE id = $1`, [workspaceId]);
    expect(rows[0]).toEqual({ payment_method: null });
  });

  it('a refused card keeps the customer on record: a good card a day later (Stripe forgot the key) uses the same customer', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('pmlater') });
    const customersBefore = sandbox.stats().customers;
    await nonRetryable(runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_chargeDeclined' }), 'PaymentMethodRejected');
    const { rows: [kept] } = await pool.query(`SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`, [workspaceId]);
    expect(kept).toMatchObject({ stripe_customer_id: expect.stringMatching(/^cus_/), payment_method: null });
    sandbox.advanceClock(25 * 3600_000);
    const later = await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: 'pm_card_visa' });
    expect(later.customerId).toBe(kept.stripe_customer_id);
    expect(sandbox.stats().customers).toBe(customersBefore + 1);
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
    const { invoice } = await invoiceFor('pm_card_chargeCustomerFail');
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
    const { workspaceId, invoice } = await invoiceFor('pm_card_chargeCustomerFail');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details.declineCode).toBe('generic_decline');
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

  it("a card that needs 3-D Secure is a failed payment off-session: Stripe's 402 authentication_required", async () => {
    const { invoice } = await invoiceFor('pm_card_authenticationRequired');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(details).toMatchObject({
      code: 'authentication_required',
      declineCode: 'authentication_required',
      reason: expect.stringContaining('authenticate'),
      paymentIntentId: expect.stringMatching(/^pi_/),
    });
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'payment_failed', paymentFailure: { code: 'authentication_required' } });
    expect(chargesFor(invoice.id).map((c) => c.status)).toEqual(['failed']);
    const pi = await stripe.paymentIntents.retrieve(details.paymentIntentId as string);
    expect(pi.status).toBe('requires_payment_method');
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

describe('a charge retried after Stripe forgot its idempotency key (24 h)', () => {
  const HOUR = 3_600_000;
  /** The activities with a clock `ms` ahead, and the sandbox's clock moved as far: keys that old are forgotten there. */
  const later = (ms: number) => {
    sandbox.advanceClock(ms);
    return activitiesWith(stripe, () => Date.now() + ms);
  };
  const succeededFor = (invoiceId: string) =>
    sandbox.paymentIntents().filter((p) => p.metadata.invoice_id === invoiceId && p.status === 'succeeded');

  it('the attempt and its key are written down before Stripe is asked', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    sandbox.injectFailures({ count: 1, status: 500, path: '/v1/payment_intents' });
    await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }));
    const { rows } = await pool.query(`SELECT outcome, idempotency_key, key_first_used_at FROM payment_attempts WHERE invoice_id = $1`, [invoice.id]);
    expect(rows).toEqual([{ outcome: 'pending', idempotency_key: `invoice:${invoice.id}:attempt:1`, key_first_used_at: expect.any(Date) }]);
  });

  it('a lost success, then a retry more than 24 h later: found by looking the invoice up, not charged again', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    sandbox.injectFailures({ count: 1, status: 502, when: 'after', path: '/v1/payment_intents' });
    await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 })); // charged; the answer was lost
    const [charged] = succeededFor(invoice.id);
    expect(charged).toBeDefined();

    const retried = await runActivity(later(25 * HOUR).chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    expect(retried).toEqual({ outcome: 'paid', paymentIntentId: charged!.id });
    expect(succeededFor(invoice.id)).toHaveLength(1);
    expect(chargesFor(invoice.id)).toHaveLength(1);
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'paid', paymentReference: charged!.id });
  });

  it('nothing charged, then a retry more than 24 h later: charged once under a fresh key', async () => {
    const { invoice } = await invoiceFor('pm_card_visa');
    sandbox.injectFailures({ count: 1, status: 503, path: '/v1/payment_intents' }); // refused before anything happened
    await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }));
    const paid = await runActivity(later(30 * HOUR).chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    expect(paid.outcome).toBe('paid');
    expect(succeededFor(invoice.id)).toHaveLength(1);
    const keys = sandbox.requests().filter((r) => r.method === 'POST' && r.metadata.invoice_id === invoice.id).map((r) => r.idempotencyKey);
    expect(keys).toEqual([`invoice:${invoice.id}:attempt:1`, `invoice:${invoice.id}:attempt:1:key:1`]);
  });

  it('a lost decline, retried more than 24 h later, stays that decline (the card is not tried again)', async () => {
    const { invoice } = await invoiceFor('pm_card_chargeCustomerFail');
    sandbox.injectFailures({ count: 1, status: 502, when: 'after', path: '/v1/payment_intents' });
    await retryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }));
    await nonRetryable(runActivity(later(25 * HOUR).chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    expect(chargesFor(invoice.id).map((c) => c.status)).toEqual(['failed']);
    expect((await getInvoice(pool, invoice.id))?.status).toBe('payment_failed');
  });
});

describe('a sale given up on: its PaymentIntents are cancelled, a late success is refunded', () => {
  const settle = (workspaceId: string, invoiceId: string, paymentIntentId: string) =>
    runActivity(acts.settlePaymentSucceeded, { workspaceId, invoiceId, paymentIntentId, paidAt: Date.now() });

  it('voiding a failed sale cancels its open PaymentIntent: the customer can no longer complete it', async () => {
    const { invoice } = await invoiceFor('pm_card_authenticationRequired');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Purchase payment failed.' });
    expect((await stripe.paymentIntents.retrieve(details.paymentIntentId as string)).status).toBe('canceled');
    expect(() => sandbox.completePaymentIntent(details.paymentIntentId as string)).toThrow(/canceled/);
    // voiding again is a no-op
    expect((await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Purchase payment failed.' })).status).toBe('void');
  });

  it('a success that completed before the cancellation is refunded once, and the refund is written on the invoice', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_authenticationRequired');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    const piId = details.paymentIntentId as string;
    sandbox.completePaymentIntent(piId); // the customer authenticates just as we give up
    await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Purchase payment failed.' });
    // and then its webhook arrives
    expect(await settle(workspaceId, invoice.id, piId)).toEqual({ outcome: 'refunded', invoiceStatus: 'void' });
    expect(sandbox.refunds().filter((r) => r.payment_intent === piId)).toMatchObject([{ amount: invoice.totalCents }]);
    const stored = await getInvoice(pool, invoice.id);
    expect(stored).toMatchObject({ status: 'void', statusNote: expect.stringMatching(new RegExp(`${piId} of \\$10\\.73 refunded automatically \\(re_\\w+\\)`)) });
    const { rows } = await pool.query(`SELECT invoice_id, amount_cents::int AS amount_cents, reason FROM payment_refunds WHERE payment_intent_id = $1`, [piId]);
    expect(rows).toEqual([{ invoice_id: invoice.id, amount_cents: invoice.totalCents, reason: 'invoice_void' }]);
  });

  it('a second success for an invoice another PaymentIntent paid is refunded as a duplicate; the paying one is left alone', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_visa');
    const paid = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
    const { rows: [ws] } = await pool.query<{ stripe_customer_id: string; payment_method: string }>(
      `SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`, [workspaceId]);
    const duplicate = await stripe.paymentIntents.create({
      amount: invoice.totalCents, currency: 'usd', customer: ws!.stripe_customer_id, payment_method: ws!.payment_method, confirm: true, off_session: true,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, metadata: { workspace_id: workspaceId, invoice_id: invoice.id },
    });
    expect(await settle(workspaceId, invoice.id, paid.paymentIntentId!)).toEqual({ outcome: 'already', invoiceStatus: 'paid' });
    expect(await settle(workspaceId, invoice.id, duplicate.id)).toEqual({ outcome: 'refunded', invoiceStatus: 'paid' });
    expect(await settle(workspaceId, invoice.id, duplicate.id)).toEqual({ outcome: 'refunded', invoiceStatus: 'paid' });
    expect(sandbox.refunds().filter((r) => r.payment_intent === duplicate.id || r.payment_intent === paid.paymentIntentId).map((r) => r.payment_intent)).toEqual([duplicate.id]);
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'paid', paymentReference: paid.paymentIntentId });
  });

  it('a refund Stripe refuses (a disputed charge) is recorded for a person to settle, not retried: the payment queue moves on', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_authenticationRequired');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    const piId = details.paymentIntentId as string;
    sandbox.completePaymentIntent(piId);
    sandbox.disputeCharge(piId); // the customer saw a charge for a failed sale and disputed it
    await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Purchase payment failed.' });
    expect(await settle(workspaceId, invoice.id, piId)).toEqual({ outcome: 'refund_refused', invoiceStatus: 'void' });
    expect(await settle(workspaceId, invoice.id, piId)).toEqual({ outcome: 'refund_refused', invoiceStatus: 'void' }); // a redelivery: same answer
    expect(sandbox.refunds().filter((r) => r.payment_intent === piId)).toEqual([]);
    const { rows } = await pool.query(`SELECT refund_id, refused_reason FROM payment_refunds WHERE payment_intent_id = $1`, [piId]);
    expect(rows).toEqual([{ refund_id: null, refused_reason: expect.stringMatching(/^charge_disputed: /) }]);
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ statusNote: expect.stringContaining('Stripe refused the automatic refund') });
  });

  it('a success for an unpaid invoice is its payment; one for another workspace or unknown invoice is ignored', async () => {
    const { workspaceId, invoice } = await invoiceFor('pm_card_chargeCustomerFail');
    const { details } = await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }), 'PaymentFailed');
    const piId = details.paymentIntentId as string;
    sandbox.completePaymentIntent(piId); // paid later from Stripe's hosted page
    expect(await settle('someone-else', invoice.id, piId)).toEqual({ outcome: 'ignored', invoiceStatus: null });
    expect(await settle(workspaceId, '00000000-0000-4000-8000-00000000dead', piId)).toEqual({ outcome: 'ignored', invoiceStatus: null });
    expect(await settle(workspaceId, invoice.id, piId)).toEqual({ outcome: 'paid', invoiceStatus: 'paid' });
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'paid', paymentReference: piId });
    expect(sandbox.refunds().filter((r) => r.payment_intent === piId)).toEqual([]);
  });
});
