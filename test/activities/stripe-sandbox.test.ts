import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { freePortOutsideEphemeralRange } from '../setup/free-port';

// The sandbox against the official client: Stripe's shapes, errors,
// idempotency, test cards, faults and signed webhooks.
const WEBHOOK_SECRET = 'whsec_sandbox_test';
let sandbox: StripeSandbox;
let stripe: Stripe;
let receiver: http.Server;
let received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
let receiverStatuses: number[] = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiverStatuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  sandbox = await StripeSandbox.start({ webhook: { url: hookUrl, secret: WEBHOOK_SECRET }, webhookBackoffMs: 10 });
  stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
});
afterAll(async () => {
  await sandbox?.close();
  await new Promise((r) => receiver?.close(r));
});
beforeEach(async () => {
  await sandbox.webhooksIdle();
  received = [];
  receiverStatuses = [];
});

async function customerWithCard(card: string) {
  const customer = await stripe.customers.create({ name: 'Acme', email: 'finance@acme.example' });
  const pm = await stripe.paymentMethods.attach(card, { customer: customer.id });
  await stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: pm.id } });
  return { customer, pm };
}

const offSession = (customer: string, pm: string, amount = 2900): Stripe.PaymentIntentCreateParams => ({
  amount,
  currency: 'usd',
  customer,
  payment_method: pm,
  automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
  confirm: true,
  off_session: true,
  metadata: { workspace_id: 'ws-1', invoice_id: 'inv-1' },
});

describe('Stripe sandbox: objects', () => {
  it('creates customers, turns a test card into an attached payment method, and sets the default', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    expect(customer).toMatchObject({ object: 'customer', email: 'finance@acme.example' });
    expect(pm.id).toMatch(/^pm_/);
    expect(pm.id).not.toBe('pm_card_visa'); // Stripe makes a new payment method from a test id
    expect(pm).toMatchObject({ customer: customer.id, card: { brand: 'visa', last4: '4242' } });
    const again = await stripe.customers.retrieve(customer.id);
    expect((again as Stripe.Customer).invoice_settings.default_payment_method).toBe(pm.id);
  });

  it('refuses a default payment method that is not attached to the customer', async () => {
    const customer = await stripe.customers.create({ name: 'Acme' });
    await expect(
      stripe.customers.update(customer.id, { invoice_settings: { default_payment_method: 'pm_nope' } }),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', statusCode: 400 });
  });

  it('answers unknown objects with resource_missing', async () => {
    await expect(stripe.customers.retrieve('cus_missing')).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      statusCode: 404,
      code: 'resource_missing',
    });
    await expect(stripe.paymentMethods.attach('pm_missing', { customer: 'cus_missing' })).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });

  it('rejects unknown parameters and a missing API key like Stripe', async () => {
    await expect(
      stripe.customers.create({ nickname: 'x' } as unknown as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError', message: 'Received unknown parameter: nickname' });
    const res = await fetch(`${sandbox.url}/v1/customers`, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });
});

describe('Stripe sandbox: PaymentIntents with test cards', () => {
  it('pm_card_visa succeeds and counts one charge', async () => {
    const before = sandbox.stats().charges;
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const pi = await stripe.paymentIntents.create(offSession(customer.id, pm.id));
    expect(pi).toMatchObject({ object: 'payment_intent', status: 'succeeded', amount: 2900, amount_received: 2900, customer: customer.id });
    expect(pi.latest_charge).toMatch(/^ch_/);
    expect(sandbox.stats().charges).toBe(before + 1);
  });

  it('pm_card_chargeDeclined is refused at attach, as Stripe checks the card there (a 402 card error)', async () => {
    const customer = await stripe.customers.create({ name: 'Acme' });
    const err = (await stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: customer.id }).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    await expect(stripe.paymentMethods.attach('pm_card_chargeDeclinedInsufficientFunds', { customer: customer.id })).rejects.toMatchObject({
      decline_code: 'insufficient_funds',
    });
  });

  it('pm_card_chargeCustomerFail attaches, then declines with card_declined, as a 402 card error carrying the PaymentIntent', async () => {
    const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
    const err = (await stripe.paymentIntents.create(offSession(customer.id, pm.id)).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' });
    expect(err.payment_intent).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'card_declined' } });
  });

  it('insufficient funds (charged without attaching) carries its own decline code', async () => {
    const customer = await stripe.customers.create({ name: 'Acme' });
    await expect(stripe.paymentIntents.create(offSession(customer.id, 'pm_card_chargeDeclinedInsufficientFunds'))).rejects.toMatchObject({
      code: 'card_declined',
      decline_code: 'insufficient_funds',
    });
  });

  it('pm_card_authenticationRequired off-session is a 402 authentication_required; the PaymentIntent needs a payment method again', async () => {
    const { customer, pm } = await customerWithCard('pm_card_authenticationRequired');
    const err = (await stripe.paymentIntents.create(offSession(customer.id, pm.id)).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ statusCode: 402, code: 'authentication_required', decline_code: 'authentication_required' });
    expect(err.payment_intent).toMatchObject({ status: 'requires_payment_method', last_payment_error: { code: 'authentication_required' } });
  });

  it('pm_card_authenticationRequired on-session needs action', async () => {
    const { customer, pm } = await customerWithCard('pm_card_authenticationRequired');
    const { off_session: _off, ...onSession } = offSession(customer.id, pm.id);
    const pi = await stripe.paymentIntents.create(onSession);
    expect(pi.status).toBe('requires_action');
    expect(pi.next_action?.type).toBe('use_stripe_sdk');
  });

  it('enforces the $0.50 minimum and the return_url rule for redirect-capable methods', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    await expect(stripe.paymentIntents.create(offSession(customer.id, pm.id, 49))).rejects.toMatchObject({ code: 'amount_too_small' });
    const { automatic_payment_methods: _omit, ...withRedirects } = offSession(customer.id, pm.id);
    await expect(stripe.paymentIntents.create(withRedirects)).rejects.toMatchObject({ message: expect.stringContaining('return_url') });
  });
});

describe('Stripe sandbox: idempotency', () => {
  it('the same key with the same parameters returns the same PaymentIntent without a second charge', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const before = sandbox.stats().charges;
    const first = await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: `k-${customer.id}` });
    const second = await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: `k-${customer.id}` });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(sandbox.stats().charges).toBe(before + 1);
  });

  it('the same key with different parameters is an idempotency error', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: `d-${customer.id}` });
    await expect(
      stripe.paymentIntents.create(offSession(customer.id, pm.id, 3000), { idempotencyKey: `d-${customer.id}` }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('a decline is replayed for its key too (same PaymentIntent, no second attempt)', async () => {
    const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
    const attempts = () => sandbox.charges().filter((c) => c.customer === customer.id).length;
    const key = `decl-${customer.id}`;
    const e1 = (await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key }).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    const e2 = (await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key }).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    expect(e2.payment_intent?.id).toBe(e1.payment_intent?.id);
    expect(attempts()).toBe(1);
  });
});

describe('Stripe sandbox: key expiry, look-up, cancel, refunds, late completion', () => {
  it('forgets an idempotency key 24 h after its first use (on its clock): the same key is then a new request', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const key = `aged-${customer.id}`;
    const first = await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key });
    sandbox.advanceClock(23 * 3_600_000);
    expect((await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key })).id).toBe(first.id);
    const res = await fetch(`${sandbox.url}/_sandbox/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 3_600_000 }) });
    expect(res.status).toBe(200);
    const second = await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key });
    expect(second.id).not.toBe(first.id);
    expect(second.created - first.created).toBeGreaterThanOrEqual(24 * 3600);
  });

  it("lists a customer's PaymentIntents newest first, filtered by created, paged with starting_after", async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await stripe.paymentIntents.create(offSession(customer.id, pm.id))).id);
    const firstPage = await stripe.paymentIntents.list({ customer: customer.id, limit: 2 });
    expect(firstPage.data.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    expect(firstPage.has_more).toBe(true);
    const all: string[] = [];
    for await (const p of stripe.paymentIntents.list({ customer: customer.id, limit: 2 })) all.push(p.id);
    expect(all).toEqual([...ids].reverse());
    const future = Math.floor(sandbox.now() / 1000) + 3600;
    expect((await stripe.paymentIntents.list({ customer: customer.id, created: { gte: future } })).data).toEqual([]);
  });

  it('cancels an open PaymentIntent (which can then not be completed), and refuses to cancel a succeeded one', async () => {
    const { customer, pm } = await customerWithCard('pm_card_authenticationRequired');
    const { off_session: _off, ...onSession } = offSession(customer.id, pm.id);
    const open = await stripe.paymentIntents.create(onSession);
    const cancelled = await stripe.paymentIntents.cancel(open.id, { cancellation_reason: 'abandoned' });
    expect(cancelled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned', canceled_at: expect.any(Number) });
    expect(() => sandbox.completePaymentIntent(open.id)).toThrow(/status of canceled/);
    const { customer: c2, pm: visa } = await customerWithCard('pm_card_visa');
    const paid = await stripe.paymentIntents.create(offSession(c2.id, visa.id));
    await expect(stripe.paymentIntents.cancel(paid.id)).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
  });

  it('a PaymentIntent the customer completes later succeeds and sends payment_intent.succeeded (control API)', async () => {
    const { customer, pm } = await customerWithCard('pm_card_authenticationRequired');
    const declined = (await stripe.paymentIntents.create(offSession(customer.id, pm.id)).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    const id = declined.payment_intent!.id;
    await sandbox.webhooksIdle();
    received = [];
    const res = await fetch(`${sandbox.url}/_sandbox/payment_intents/${id}/complete`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect((await stripe.paymentIntents.retrieve(id)).status).toBe('succeeded');
    await sandbox.webhooksIdle();
    expect(received.map((r) => JSON.parse(r.body) as Stripe.Event).map((e) => [e.type, (e.data.object as { id: string }).id])).toEqual([
      ['payment_intent.succeeded', id],
    ]);
  });

  it('refunds a succeeded PaymentIntent once; a second refund is charge_already_refunded', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const paid = await stripe.paymentIntents.create(offSession(customer.id, pm.id, 1234));
    const before = sandbox.stats();
    const refund = await stripe.refunds.create({ payment_intent: paid.id, reason: 'duplicate' }, { idempotencyKey: `refund:${paid.id}` });
    expect(refund).toMatchObject({ object: 'refund', amount: 1234, payment_intent: paid.id, status: 'succeeded', reason: 'duplicate' });
    expect((await stripe.refunds.create({ payment_intent: paid.id, reason: 'duplicate' }, { idempotencyKey: `refund:${paid.id}` })).id).toBe(refund.id);
    await expect(stripe.refunds.create({ payment_intent: paid.id })).rejects.toMatchObject({ code: 'charge_already_refunded' });
    expect(sandbox.stats()).toMatchObject({ refunds: before.refunds + 1, amountRefundedCents: before.amountRefundedCents + 1234 });
    const { customer: c2, pm: failing } = await customerWithCard('pm_card_chargeCustomerFail');
    const declined = (await stripe.paymentIntents.create(offSession(c2.id, failing.id)).catch((e: unknown) => e)) as Stripe.errors.StripeCardError;
    await expect(stripe.refunds.create({ payment_intent: declined.payment_intent!.id })).rejects.toMatchObject({ code: 'charge_not_refundable' });
  });
});

/** Opens (and closes) a TCP connection. */
const connectTo = (port: number) =>
  new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });

describe('Stripe sandbox: faults', () => {
  it('an injected 5xx before processing changes nothing; the next request goes through', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const before = sandbox.stats();
    sandbox.injectFailures({ count: 1, status: 503, path: '/v1/payment_intents' });
    await expect(stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: `f-${customer.id}` })).rejects.toMatchObject({
      type: 'StripeAPIError',
      statusCode: 503,
    });
    expect(sandbox.stats().paymentIntents).toBe(before.paymentIntents);
    const pi = await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: `f-${customer.id}` });
    expect(pi.status).toBe('succeeded');
    expect(sandbox.stats().charges).toBe(before.charges + 1);
  });

  it('the control API works over HTTP too', async () => {
    const res = await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'POST', body: JSON.stringify({ count: 1, status: 500 }) });
    expect(res.status).toBe(200);
    await expect(stripe.customers.create({ name: 'x' })).rejects.toMatchObject({ statusCode: 500 });
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as { charges: number };
    expect(stats.charges).toBe(sandbox.stats().charges);
    const bad = await fetch(`${sandbox.url}/_sandbox/delay`, { method: 'POST', body: JSON.stringify({ ms: -1 }) });
    expect(bad.status).toBe(400);
  });

  it('a lost answer also hits a replayed key (the stored answer stays); the request log shows each outcome', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const key = `lost-${customer.id}`;
    const create = () => stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key });
    sandbox.injectFailures({ count: 1, status: 500, when: 'after', path: '/v1/payment_intents' });
    sandbox.injectFailures({ count: 1, status: 502, when: 'after', path: '/v1/payment_intents' });
    await expect(create()).rejects.toMatchObject({ statusCode: 500 });
    await expect(create()).rejects.toMatchObject({ statusCode: 502 });
    const pi = await create();
    expect(pi.status).toBe('succeeded');
    const log = sandbox.requests().filter((r) => r.idempotencyKey === key);
    expect(log.map((r) => [r.outcome, r.status, r.metadata.workspace_id])).toEqual([
      ['lost', 500, 'ws-1'],
      ['lost', 502, 'ws-1'],
      ['replayed', 200, 'ws-1'],
    ]);
    expect(sandbox.paymentIntents().filter((p) => p.customer === customer.id).map((p) => p.id)).toEqual([pi.id]);
    const overHttp = (await (await fetch(`${sandbox.url}/_sandbox/requests`)).json()) as unknown[];
    expect(overHttp.length).toBe(sandbox.requests().length);
  });

  it('offline: `reset` drops API connections (the control API still answers); back online with its state', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const res = await fetch(`${sandbox.url}/_sandbox/offline`, { method: 'POST', body: JSON.stringify({ mode: 'reset' }) });
    expect(res.status).toBe(200);
    const key = `offline-${customer.id}`;
    await expect(stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key })).rejects.toMatchObject({
      type: 'StripeConnectionError',
      detail: { code: 'ECONNRESET' },
    });
    expect(sandbox.requests().filter((r) => r.idempotencyKey === key).every((r) => r.outcome === 'reset')).toBe(true);
    expect((await fetch(`${sandbox.url}/_sandbox/stats`)).status).toBe(200);

    await sandbox.goOnline();
    expect((await stripe.paymentIntents.create(offSession(customer.id, pm.id), { idempotencyKey: key })).status).toBe('succeeded');
  });

  it('offline: `refuse` closes the port; back on the same port with its state (over HTTP: for a while)', async () => {
    // Its own sandbox, on a port no outgoing connection can be given while it is closed.
    const port = await freePortOutsideEphemeralRange();
    const own = await StripeSandbox.start({ port });
    try {
      const client = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: own.url });
      const customer = await client.customers.create({ name: 'Refused' });
      await own.goOffline('refuse');
      await expect(client.customers.retrieve(customer.id)).rejects.toMatchObject({ type: 'StripeConnectionError', detail: { code: 'ECONNREFUSED' } });
      await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await own.goOnline();
      expect(own.port).toBe(port);
      expect((await client.customers.retrieve(customer.id)).id).toBe(customer.id);

      // Over HTTP, `refuse` needs a deadline (nothing could turn it back on), and comes back by itself.
      expect((await fetch(`${own.url}/_sandbox/offline`, { method: 'POST', body: JSON.stringify({ mode: 'refuse' }) })).status).toBe(400);
      expect((await fetch(`${own.url}/_sandbox/offline`, { method: 'POST', body: JSON.stringify({ mode: 'refuse', forMs: 300 }) })).status).toBe(200);
      await expect(connectTo(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await vi.waitFor(() => connectTo(port), { timeout: 10_000, interval: 20 }); // listening again by itself
      expect(own.offline).toBeNull();
      expect((await client.customers.retrieve(customer.id)).id).toBe(customer.id);
    } finally {
      await own.close();
    }
  });
});

describe('Stripe sandbox: webhooks', () => {
  it('posts payment_intent events signed the way Stripe signs them', async () => {
    const { customer, pm } = await customerWithCard('pm_card_visa');
    const pi = await stripe.paymentIntents.create(offSession(customer.id, pm.id));
    await sandbox.webhooksIdle();
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    // The official client's verification accepts it...
    const event = stripe.webhooks.constructEvent(body, headers['stripe-signature'] as string, WEBHOOK_SECRET);
    expect(event).toMatchObject({ type: 'payment_intent.succeeded', data: { object: { id: pi.id, metadata: { workspace_id: 'ws-1' } } } });
    // ...and rejects it under another secret.
    expect(() => stripe.webhooks.constructEvent(body, headers['stripe-signature'] as string, 'whsec_other')).toThrow(
      Stripe.errors.StripeSignatureVerificationError,
    );
  });

  it('sends payment_intent.payment_failed for a decline', async () => {
    const { customer, pm } = await customerWithCard('pm_card_chargeCustomerFail');
    await stripe.paymentIntents.create(offSession(customer.id, pm.id)).catch(() => undefined);
    await sandbox.webhooksIdle();
    const types = received.map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types).toEqual(['payment_intent.payment_failed']);
  });

  it('retries a delivery the endpoint did not accept', async () => {
    receiverStatuses = [500];
    const { customer, pm } = await customerWithCard('pm_card_visa');
    await stripe.paymentIntents.create(offSession(customer.id, pm.id));
    await sandbox.webhooksIdle();
    expect(received).toHaveLength(2);
    expect(received[1]!.body).toBe(received[0]!.body);
    const attempts = sandbox.deliveries().filter((d) => d.eventId === (JSON.parse(received[0]!.body) as { id: string }).id);
    expect(attempts.map((a) => a.status)).toEqual([500, 200]);
  });
});

describe('Stripe sandbox: state file (npm start)', () => {
  it('keeps customers, payment methods and idempotency keys across a restart', async () => {
    const stateFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sandbox-state-')), 'stripe.json');
    const first = await StripeSandbox.start({ stateFile });
    const client1 = createStripeClient({ secretKey: 'sk_test_x', apiBase: first.url });
    const customer = await client1.customers.create({ name: 'Kept' }, { idempotencyKey: 'keep-1' });
    await first.close();

    const second = await StripeSandbox.start({ stateFile });
    try {
      const client2 = createStripeClient({ secretKey: 'sk_test_x', apiBase: second.url });
      expect(((await client2.customers.retrieve(customer.id)) as Stripe.Customer).name).toBe('Kept');
      expect((await client2.customers.create({ name: 'Kept' }, { idempotencyKey: 'keep-1' })).id).toBe(customer.id);
    } finally {
      await second.close();
    }
  });
});
