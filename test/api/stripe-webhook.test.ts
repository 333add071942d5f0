import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { PaymentSignal } from '../../src/domain/payment-signal';
import { buildApp, type App } from '../../src/http/app';
import { CodedError } from '../../src/domain/failure-codes';
import { stripeWebhookRoutes } from '../../src/http/routes/stripe-webhook';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { signPayload } from '../../src/stripe-sandbox/webhooks';
import { activityFailure, runActivity } from '../helpers/activities';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

const SECRET = 'whsec_webhook_test_secret';
let pool: Pool;
let app: App;
let signals: Array<{ workspaceId: string; signal: PaymentSignal }> = [];
let failSignals = 0;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 3);
  app = await buildApp({
    tokens: { api: 'full-token', read: 'read-token' },
    routes: [
      stripeWebhookRoutes({
        pool,
        webhookSecret: SECRET,
        signalPayment: async (workspaceId, signal) => {
          if (failSignals > 0) {
            failSignals--;
            throw new Error('temporal unavailable');
          }
          if (workspaceId === 'ws-gone') throw new CodedError('not_found', `workspace '${workspaceId}' was not found`);
          signals.push({ workspaceId, signal });
        },
      }),
    ],
  });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});
beforeEach(() => {
  signals = [];
  failSignals = 0;
});

const eventId = () => `evt_${uniqueId('t').replace(/-/g, '')}`;
function paymentEvent(type: string, extra: Record<string, unknown> = {}) {
  return {
    id: eventId(),
    object: 'event',
    api_version: '2025-01-01',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: {
      object: { id: 'pi_123', object: 'payment_intent', status: 'succeeded', metadata: { workspace_id: 'ws-42', invoice_id: 'inv-7' }, ...extra },
    },
  };
}

function post(body: string, signature?: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/stripe/webhook',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(signature ? { 'stripe-signature': signature } : {}) },
    payload: body,
  });
}

const signed = (body: string, at?: number) => signPayload(body, SECRET, at);

describe('POST /v1/stripe/webhook', () => {
  it('accepts a correctly signed event once and signals the workflow; a replay is ignored', async () => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const event = JSON.parse(body) as { id: string };
    const first = await post(body, signed(body));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false, routed: true });
    expect(signals).toEqual([
      { workspaceId: 'ws-42', signal: { eventId: event.id, type: 'payment_succeeded', invoiceId: 'inv-7', paymentIntentId: 'pi_123' } },
    ]);
    const replay = await post(body, signed(body));
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ received: true, duplicate: true, routed: false });
    expect(signals).toHaveLength(1);
  });

  it("routes a payment failure with Stripe's reason and code", async () => {
    const body = JSON.stringify(
      paymentEvent('payment_intent.payment_failed', {
        status: 'requires_payment_method',
        last_payment_error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
      }),
    );
    expect((await post(body, signed(body))).statusCode).toBe(200);
    expect(signals[0]?.signal).toMatchObject({ type: 'payment_failed', reason: 'Your card has insufficient funds.', code: 'insufficient_funds' });
  });

  it.each([
    ['a signature made with another secret', (b: string) => signPayload(b, 'whsec_wrong'), 'invalid_signature'],
    ['an expired timestamp (10 minutes old)', (b: string) => signed(b, Math.floor(Date.now() / 1000) - 600), 'invalid_signature'],
    ['a garbled header', () => 'v1=deadbeef', 'invalid_signature'],
    ['no signature header', () => undefined, 'invalid_signature'],
  ])('rejects %s with 400', async (_name, sign, code) => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const res = await post(body, sign(body));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe(code);
    expect(signals).toHaveLength(0);
    const { rowCount } = await pool.query(`SELECT 1 FROM stripe_webhook_events WHERE event_id = $1`, [(JSON.parse(body) as { id: string }).id]);
    expect(rowCount).toBe(0);
  });

  it('rejects a tampered body with 400', async () => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const res = await post(body.replace('inv-7', 'inv-8'), signed(body));
    expect(res.statusCode).toBe(400);
    expect(signals).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"id": "evt_1", '],
    ['JSON without an event id', JSON.stringify({ type: 'payment_intent.succeeded', data: { object: {} } })],
    ['an empty body', ''],
  ])('rejects a correctly signed malformed body (%s) with 400', async (_name, body) => {
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('malformed_event');
    expect(signals).toHaveLength(0);
  });

  it('refuses everything when no secret is configured (an empty key would let anyone sign)', async () => {
    const open = await buildApp({
      tokens: { api: 'a', read: 'r' },
      routes: [stripeWebhookRoutes({ pool, webhookSecret: '', signalPayment: async () => undefined })],
    });
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const res = await open.inject({ method: 'POST', url: '/v1/stripe/webhook', headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(body, '') }, payload: body });
    expect(res.statusCode).toBe(400);
    await open.close();
  });

  it('answers 2xx without routing events it does not handle', async () => {
    const body = JSON.stringify({ ...paymentEvent('customer.created'), data: { object: { id: 'cus_1', object: 'customer' } } });
    const res = await post(body, signed(body));
    expect(res.json()).toEqual({ received: true, duplicate: false, routed: false });
    expect(signals).toHaveLength(0);
  });

  it('acknowledges and records an event for a workspace without a workflow (nothing could ever take it)', async () => {
    const event = paymentEvent('payment_intent.succeeded');
    event.data.object.metadata.workspace_id = 'ws-gone';
    const body = JSON.stringify(event);
    const res = await post(body, signed(body));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, duplicate: false, routed: false, ignored: 'unknown_workspace' });
    const again = await post(body, signed(body));
    expect(again.json()).toEqual({ received: true, duplicate: true, routed: false });
    const { rows } = await pool.query(`SELECT workspace_id, invoice_id FROM stripe_webhook_events WHERE event_id = $1`, [event.id]);
    expect(rows).toEqual([{ workspace_id: 'ws-gone', invoice_id: 'inv-7' }]);
    expect(signals).toHaveLength(0);
  });

  it('an event it could not deliver stays undelivered, so the redelivery is routed', async () => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const { id } = JSON.parse(body) as { id: string };
    failSignals = 1;
    const first = await post(body, signed(body));
    expect(first.statusCode).toBe(503);
    const { rows } = await pool.query(`SELECT delivered_at FROM stripe_webhook_events WHERE event_id = $1`, [id]);
    expect(rows).toEqual([{ delivered_at: null }]);
    const again = await post(body, signed(body));
    expect(again.json()).toMatchObject({ duplicate: false, routed: true });
    expect(signals).toHaveLength(1);
    const third = await post(body, signed(body));
    expect(third.json()).toEqual({ received: true, duplicate: true, routed: false });
    expect(signals).toHaveLength(1);
  });

  it('a copy that arrives while another process delivers the event is refused (503, Stripe retries); once that claim lapses it is delivered', async () => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
    const { id } = JSON.parse(body) as { id: string };
    // Another API process recorded it and is signalling right now.
    await pool.query(
      `INSERT INTO stripe_webhook_events (event_id, type, workspace_id, invoice_id, payment_intent_id, claimed_until)
       VALUES ($1, 'payment_intent.succeeded', 'ws-42', 'inv-7', 'pi_123', now() + interval '1 minute')`,
      [id],
    );
    const busy = await post(body, signed(body));
    expect(busy.statusCode).toBe(503);
    expect(busy.json<{ error: { code: string } }>().error.code).toBe('event_in_progress');
    expect(signals).toHaveLength(0);
    // That process died mid-delivery: its claim runs out and the redelivery signals.
    await pool.query(`UPDATE stripe_webhook_events SET claimed_until = now() - interval '1 second' WHERE event_id = $1`, [id]);
    expect((await post(body, signed(body))).json()).toEqual({ received: true, duplicate: false, routed: true });
    expect(signals).toHaveLength(1);
  });

  it('holds no Postgres connection while the workflow signal is slow (the usage hot path shares the pool)', async () => {
    const onePool = createPool(inject('databaseUrl'), 1);
    let entered!: () => void;
    const signalling = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slow = await buildApp({
      tokens: { api: 'a', read: 'r' },
      routes: [
        stripeWebhookRoutes({
          pool: onePool,
          webhookSecret: SECRET,
          signalPayment: async () => {
            entered();
            await released; // Temporal taking its time (up to 60 s)
          },
        }),
      ],
    });
    try {
      const body = JSON.stringify(paymentEvent('payment_intent.succeeded'));
      const pending = slow.inject({
        method: 'POST',
        url: '/v1/stripe/webhook',
        headers: { 'content-type': 'application/json', 'stripe-signature': signed(body) },
        payload: body,
      });
      await signalling;
      // While the signal waits, the pool's only connection is free for other requests.
      expect(onePool.totalCount - onePool.idleCount).toBe(0);
      expect((await onePool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      release();
      const res = await pending;
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ received: true, duplicate: false, routed: true });
    } finally {
      release();
      await slow.close();
      await onePool.end();
    }
  });

  // Found by test/api/fuzz.test.ts: signed events are read defensively too.
  it('refuses a correctly signed event whose data.object is null with 400 malformed_event (it crashed with a 500)', async () => {
    const body = JSON.stringify({ ...paymentEvent('payment_intent.succeeded'), data: { object: null } });
    const res = await post(body, signed(body));
    expect([res.statusCode, res.json<{ error: { code: string } }>().error.code]).toEqual([400, 'malformed_event']);
    expect(signals).toHaveLength(0);
  });

  it.each([
    ['a numeric workspace id', { metadata: { workspace_id: 42, invoice_id: 'inv-7' } }],
    ['an object as invoice id', { metadata: { workspace_id: 'ws-42', invoice_id: { id: 'inv-7' } } }],
    ['metadata that is a string', { metadata: 'ws-42' }],
    ['a numeric payment intent id', { id: 7 }],
  ])('does not route a signed payment event with %s', async (_name, extra) => {
    const body = JSON.stringify(paymentEvent('payment_intent.succeeded', extra));
    const res = await post(body, signed(body));
    expect([res.statusCode, res.json()]).toEqual([200, { received: true, duplicate: false, routed: false }]);
    expect(signals).toHaveLength(0);
  });

  it('passes only string reasons and codes of a payment failure to the workflow', async () => {
    const body = JSON.stringify(paymentEvent('payment_intent.payment_failed', { last_payment_error: { message: { text: 'x' }, decline_code: 5, code: 'card_declined' } }));
    expect((await post(body, signed(body))).statusCode).toBe(200);
    expect(signals[0]?.signal).toMatchObject({ reason: 'The payment failed.', code: 'card_declined' });
  });
});

describe('the sandbox delivers its signed webhooks to our endpoint', () => {
  let sandbox: StripeSandbox;
  let stripe: Stripe;

  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/stripe/webhook`;
    sandbox = await StripeSandbox.start({ webhook: { url, secret: SECRET }, webhookBackoffMs: 10 });
    stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  it('a charge and a decline reach the workflow as payment signals for their invoices', async () => {
    const acts = createInvoiceActivities({ pool, pricing: loadPricing(), stripe, outboxDir: '/nonexistent', publicBaseUrl: 'https://billing.test', seller: { name: 'S', address: [] } });
    const charge = async (card: string) => {
      const workspaceId = await insertWorkspace(pool, { id: uniqueId('hook') });
      await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: card });
      const invoice = await runActivity(acts.issueInvoice, {
        key: `purchase:${workspaceId}:1`, workspaceId, kind: 'credit_purchase',
        periodStart: Date.parse('2084-01-01T00:00:00Z'), periodEnd: Date.parse('2084-02-01T00:00:00Z'), issuedAt: Date.parse('2084-01-05T00:00:00Z'),
        purchase: { credits: 100 },
      });
      await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 }).catch(() => undefined);
      return { workspaceId, invoiceId: invoice.id };
    };
    const ok = await charge('pm_card_visa');
    const declined = await charge('pm_card_chargeCustomerFail');
    await activityFailure(runActivity(acts.chargeInvoice, { invoiceId: declined.invoiceId, attempt: 1 })); // replayed: no new event
    await sandbox.webhooksIdle();
    expect(signals.map((s) => [s.workspaceId, s.signal.type, s.signal.invoiceId])).toEqual([
      [ok.workspaceId, 'payment_succeeded', ok.invoiceId],
      [declined.workspaceId, 'payment_failed', declined.invoiceId],
    ]);
    expect(signals[1]!.signal).toMatchObject({ reason: 'Your card was declined.', code: 'generic_decline', paymentIntentId: expect.stringMatching(/^pi_/) });
    expect(sandbox.deliveries().every((d) => d.status === 200)).toBe(true);
  });
});
