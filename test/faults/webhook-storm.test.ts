// Issue 7, faults: a duplicate webhook storm. Real Stripe events (emitted by
// the Stripe sandbox for real charges, captured instead of delivered) are
// sent to the real webhook route 20 times each, shuffled, all at once, with
// valid signatures made by Stripe's own library. The route signals the real
// workflow (time-skipping Temporal) as the service wires it. Whatever the
// arrival order, every state change happens exactly once: one row per event,
// one signal per event in the workflow's history, the unpaid invoice settled
// once, the workspace back to active once, and late failures for a superseded
// attempt change nothing (README, Billing rules).
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFailed } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { buildApp, type App } from '../../src/http/app';
import { stripeWebhookRoutes } from '../../src/http/routes/stripe-webhook';
import { createStripeClient } from '../../src/payments/stripe-client';
import { BillingTestEnv, DAY } from '../helpers/billing-env';
import { historyChain, receivedSignals, scheduledActivities, settled, timerSummaries } from '../helpers/workflow-history';

const SECRET = `whsec_storm_${randomBytes(12).toString('hex')}`;
const COPIES = 20;
const SEED = Number(process.env.STORM_SEED ?? Math.floor(Math.random() * 2 ** 31));

let t: BillingTestEnv;
let appPool: Pool;
let app: App;
let webhookUrl: string;
let capture: http.Server;
const captured: Array<{ raw: string; event: Stripe.Event }> = [];
let stripe: Stripe;

beforeAll(async () => {
  t = await BillingTestEnv.create();
  // The Stripe sandbox sends its signed events here; the test replays their exact bodies later.
  capture = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      captured.push({ raw, event: JSON.parse(raw) as Stripe.Event });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => capture.listen(0, '127.0.0.1', resolve));
  t.sandbox.setWebhookTarget({ url: `http://127.0.0.1:${(capture.address() as AddressInfo).port}/`, secret: 'whsec_capture' });
  stripe = createStripeClient({ secretKey: 'sk_test_storm', apiBase: t.sandbox.url });

  // The webhook route exactly as src/service.ts mounts it, over real HTTP.
  appPool = createPool(inject('databaseUrl'), 10);
  app = await buildApp({
    tokens: { api: 'storm-full', read: 'storm-read' },
    routes: [stripeWebhookRoutes({ pool: appPool, webhookSecret: SECRET, signalPayment: (ws, sig) => t.workflows.signalPayment(ws, sig) })],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  webhookUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/stripe/webhook`;
});
afterAll(async () => {
  await app?.close();
  await appPool?.end();
  await new Promise((resolve) => capture?.close(resolve));
  await t?.teardown();
});

/** Deterministic shuffle (mulberry32), so a failing order can be replayed with STORM_SEED. */
function shuffled<T>(items: T[], seed: number): T[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Answer {
  eventId: string;
  status: number;
  body: { received?: boolean; duplicate?: boolean; routed?: boolean; ignored?: string };
}

type Captured = { raw: string; event: Stripe.Event };
const times = (events: Captured[], n: number) => events.flatMap((e) => Array.from({ length: n }, () => e));

/** Sends all these deliveries shuffled and at once, each freshly signed as Stripe signs. */
async function storm(deliveries: Captured[], seed: number): Promise<Answer[]> {
  return Promise.all(
    shuffled(deliveries, seed).map(async ({ raw, event }) => {
      const res = await fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: SECRET }),
        },
        body: raw,
      });
      return { eventId: event.id, status: res.status, body: (await res.json()) as Answer['body'] };
    }),
  );
}

type HistoryEvents = Awaited<ReturnType<typeof historyChain>>;

/** The workflow's history once it holds a signal for each of these event ids and has handled them all. */
async function handledHistory(workspaceId: string, eventIds: string[]): Promise<HistoryEvents> {
  for (let i = 0; ; i++) {
    const events = await historyChain(t.env.client, workspaceId);
    const seen = new Set(receivedSignals(events).map((s) => (s.arg as { eventId: string }).eventId));
    if (eventIds.every((id) => seen.has(id)) && settled(events)) return events;
    if (i >= 200) throw new Error(`workflow of ${workspaceId} did not receive and handle its signals`);
    await sleep(50);
  }
}

const pi = (e: Stripe.Event) => e.data.object as Stripe.PaymentIntent;
function capturedOne(what: string, match: (e: Stripe.Event) => boolean) {
  const found = captured.filter((c) => match(c.event));
  expect(found, what).toHaveLength(1);
  return found[0]!;
}

describe('a duplicate webhook storm', () => {
  it('20 copies of each event, shuffled and concurrent: every state change happens once, whatever the order', async () => {
    onTestFailed(() => console.error(`webhook storm order: STORM_SEED=${SEED}`));
    const paid = 'storm-paid';
    const dunning = 'storm-dunning';
    const ghost = `storm-ghost-${randomUUID().slice(0, 8)}`; // a workspace this service never had

    // A paid workspace, and one whose renewal fails on every attempt until it is past_due.
    await t.create({ id: paid, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.create({ id: dunning, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(dunning);
    await t.workflows.setPaymentMethod(dunning, 'pm_card_chargeCustomerFail');
    await t.sleepUntil(workspace.termEnd + 60_000);
    const failing = await t.waitFor(dunning, (x) => x.workspace.termIndex === 1 && x.unpaidInvoices.length === 1, 'failed renewal');
    const { invoiceId: unpaidId, firstFailedAt } = failing.unpaidInvoices[0]!;
    await t.sleepUntil(firstFailedAt + 7 * DAY + 60_000);
    await t.waitFor(dunning, (x) => x.workspace.status === 'past_due' && x.unpaidInvoices[0]?.attempts === 4, 'past_due');
    await t.waitFor(paid, (x) => x.workspace.termIndex === 1, 'the paid workspace renewed');
    const invoices = async (id: string) => (await t.invoices(id)).filter((i) => i.kind === 'renewal');
    const unpaid = (await invoices(dunning)).find((i) => i.id === unpaidId)!;
    expect(unpaid.status).toBe('payment_failed');

    // Outside the workflow, the customer pays the open invoice with another card (as from Stripe's hosted page).
    const { rows: [dunningRow] } = await t.pool.query<{ stripe_customer_id: string }>(`SELECT stripe_customer_id FROM workspaces WHERE id = $1`, [dunning]);
    const customer = dunningRow!.stripe_customer_id;
    const visa = await stripe.paymentMethods.attach('pm_card_visa', { customer });
    const offSession = { currency: 'usd', customer, confirm: true, off_session: true, automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } };
    const settlement = await stripe.paymentIntents.create({
      ...offSession, amount: unpaid.total_cents, payment_method: visa.id,
      metadata: { workspace_id: dunning, invoice_id: unpaidId, invoice_number: unpaid.number, attempt: 'hosted' },
    });
    expect(settlement.status).toBe('succeeded');
    // A 3-D Secure card tried on the same invoice (an event type the route does not route), and a payment for an
    // invoice this service never issued.
    const { off_session: _onSession, ...onSession } = offSession; // on the hosted page: the customer is there to authenticate
    await stripe.paymentIntents.create({
      ...onSession, amount: unpaid.total_cents, payment_method: 'pm_card_authenticationRequired',
      metadata: { workspace_id: dunning, invoice_id: unpaidId, invoice_number: unpaid.number, attempt: 'hosted-3ds' },
    });
    await stripe.paymentIntents.create({ ...offSession, amount: 1500, payment_method: visa.id, metadata: { workspace_id: dunning, invoice_id: randomUUID() } });
    // A success and a decline for a workspace this service does not know.
    const stranger = await stripe.customers.create({ name: 'Stranger', metadata: { workspace_id: ghost } });
    await stripe.paymentIntents.create({ ...offSession, customer: stranger.id, amount: 2000, payment_method: 'pm_card_visa', metadata: { workspace_id: ghost, invoice_id: randomUUID() } });
    await expect(
      stripe.paymentIntents.create({ ...offSession, customer: stranger.id, amount: 2000, payment_method: 'pm_card_chargeDeclined', metadata: { workspace_id: ghost, invoice_id: randomUUID() } }),
    ).rejects.toMatchObject({ type: 'StripeCardError' });
    await t.sandbox.webhooksIdle();
    t.sandbox.setWebhookTarget(null);

    // The events, as the sandbox sent them.
    const of = (type: string, ws: string, invoiceId?: string) => (e: Stripe.Event) =>
      e.type === type && pi(e).metadata.workspace_id === ws && (invoiceId === undefined || pi(e).metadata.invoice_id === invoiceId);
    const paidInvoices = await invoices(paid);
    const dunningFirst = (await invoices(dunning)).find((i) => i.business_key.startsWith(`signup:${dunning}:`))!;
    const failures = captured.filter((c) => of('payment_intent.payment_failed', dunning, unpaidId)(c.event));
    expect(failures.map((f) => pi(f.event).metadata.attempt)).toEqual(['1', '2', '3', '4']);
    const settlementEvent = capturedOne('the settlement', (e) => of('payment_intent.succeeded', dunning, unpaidId)(e));
    const late = failures.slice(2); // attempts 3 and 4: delivered only after the settlement was applied
    const first = [
      ...failures.slice(0, 2),
      settlementEvent,
      capturedOne('3DS', (e) => e.type === 'payment_intent.requires_action' && pi(e).metadata.workspace_id === dunning),
      capturedOne('first term of the dunning workspace', (e) => of('payment_intent.succeeded', dunning, dunningFirst.id)(e)),
      ...paidInvoices.map((inv) => capturedOne(`paid ${inv.business_key}`, (e) => of('payment_intent.succeeded', paid, inv.id)(e))),
      capturedOne('unknown invoice', (e) => of('payment_intent.succeeded', dunning)(e) && ![unpaidId, dunningFirst.id].includes(pi(e).metadata.invoice_id!)),
      capturedOne('unknown workspace, paid', (e) => of('payment_intent.succeeded', ghost)(e)),
      capturedOne('unknown workspace, declined', (e) => of('payment_intent.payment_failed', ghost)(e)),
    ];
    expect(first).toHaveLength(10);
    const all = [...first, ...late];
    expect(new Set(all.map((e) => e.event.id)).size).toBe(all.length);
    const chargesBefore = t.sandbox.charges().length;
    const paidBefore = await t.pool.query(`SELECT id, status, paid_at, payment_intent_id FROM invoices WHERE workspace_id = $1 ORDER BY number`, [paid]);

    // Storm 1: everything but the late failures, 20 times each, shuffled, concurrently.
    const answers1 = await storm(times(first, COPIES), SEED);
    const back = await t.waitFor(dunning, (x) => x.workspace.status === 'active', 'active again');
    expect(back.unpaidInvoices).toEqual([]);
    // Storm 2: the failures of attempts 3 and 4 arrive late, after the invoice was settled (20 times each),
    // mixed with 5 more copies of every event of storm 1.
    const answers2 = await storm([...times(late, COPIES), ...times(first, 5)], SEED + 1);
    const answers = [...answers1, ...answers2];
    expect(answers).toHaveLength(first.length * (COPIES + 5) + late.length * COPIES);

    // Every request was answered 200; each event was taken (duplicate: false) exactly once.
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const taken = answers.filter((a) => a.body.duplicate === false);
    expect(taken.map((a) => a.eventId).sort()).toEqual(all.map((e) => e.event.id).sort());
    const idsOf = (ids: Array<{ event: Stripe.Event }>) => ids.map((e) => e.event.id).sort();
    const ghostIds = all.filter((e) => pi(e.event).metadata.workspace_id === ghost);
    const unrouted = all.filter((e) => e.event.type === 'payment_intent.requires_action');
    expect(taken.filter((a) => a.body.routed).map((a) => a.eventId).sort()).toEqual(
      idsOf(all.filter((e) => !ghostIds.includes(e) && !unrouted.includes(e))),
    );
    expect(taken.filter((a) => a.body.ignored === 'unknown_workspace').map((a) => a.eventId).sort()).toEqual(idsOf(ghostIds));

    // One row per event, with what it was about.
    const rows = await t.pool.query<{ event_id: string; type: string; workspace_id: string | null; invoice_id: string | null; payment_intent_id: string }>(
      `SELECT event_id, type, workspace_id, invoice_id, payment_intent_id FROM stripe_webhook_events WHERE event_id = ANY($1) ORDER BY event_id`,
      [all.map((e) => e.event.id)],
    );
    expect(rows.rows).toEqual(
      [...all]
        .sort((a, b) => (a.event.id < b.event.id ? -1 : 1))
        .map(({ event }) => ({
          event_id: event.id,
          type: event.type,
          // Only routed types are resolved to a workspace and an invoice.
          workspace_id: event.type === 'payment_intent.requires_action' ? null : pi(event).metadata.workspace_id,
          invoice_id: event.type === 'payment_intent.requires_action' ? null : pi(event).metadata.invoice_id,
          payment_intent_id: pi(event).id,
        })),
    );

    // The workflows received each of their events exactly once (their histories, across continue-as-new).
    const signalled = (events: HistoryEvents) => receivedSignals(events).map((s) => (s.arg as { eventId: string }).eventId).sort();
    const expectedDunning = idsOf(all.filter((e) => pi(e.event).metadata.workspace_id === dunning && !unrouted.includes(e)));
    const expectedPaid = idsOf(all.filter((e) => pi(e.event).metadata.workspace_id === paid));
    const dunningEvents = await handledHistory(dunning, expectedDunning);
    expect(signalled(dunningEvents)).toEqual(expectedDunning);
    const paidEvents = await handledHistory(paid, expectedPaid);
    expect(signalled(paidEvents)).toEqual(expectedPaid);

    // ... and applied one of them, once: the settlement marked the invoice paid and re-rendered it; the workspace
    // went past_due once and back to active once. Nothing was applied to the paid workspace.
    const acts = scheduledActivities(dunningEvents);
    // (Nothing failed but the four declined charges: no step got blocked on the way.)
    expect(acts.filter((a) => a.outcome !== 'completed').map((a) => [a.type, a.outcome, a.failureType])).toEqual(
      [1, 2, 3, 4].map(() => ['chargeInvoice', 'failed', 'PaymentFailed']),
    );
    expect(timerSummaries(dunningEvents).filter((x) => x.startsWith('Blocked'))).toEqual([]);
    // Every success was settled once (the settlement paid the invoice; the others had nothing to change).
    expect(acts.filter((a) => a.type === 'settlePaymentSucceeded').map((a) => (a.input as { invoiceId: string }).invoiceId).sort()).toEqual(
      all.filter((e) => of('payment_intent.succeeded', dunning)(e.event)).map((e) => pi(e.event).metadata.invoice_id).sort(),
    );
    expect(acts.filter((a) => a.summary === 'Re-render paid invoice').map((a) => a.input)).toEqual([{ invoiceId: unpaidId }]);
    const statusChanges = acts.filter((a) => a.type === 'syncWorkspace' && /past due|active again/.test(a.summary)).map((a) => a.summary);
    expect(statusChanges).toEqual(['Every payment retry failed: past due', 'Payment received: active again']);
    expect(scheduledActivities(paidEvents).filter((a) => a.type === 'finalizeInvoice' && /^Re-render/.test(a.summary))).toEqual([]);

    // The invoice changed status once: paid by the settlement; finance got it once as failed and once as paid.
    const { rows: [after] } = await t.pool.query(`SELECT status, payment_intent_id, paid_at FROM invoices WHERE id = $1`, [unpaidId]);
    expect(after).toMatchObject({ status: 'paid', payment_intent_id: settlement.id, paid_at: expect.any(Date) });
    const outbox = await t.pool.query<{ status: string }>(
      `SELECT payload->>'status' AS status FROM outbox_events WHERE type = 'invoice.finalized' AND payload->>'invoiceId' = $1 ORDER BY id`,
      [unpaidId],
    );
    expect(outbox.rows.map((r) => r.status)).toEqual(['payment_failed', 'paid']);
    // Webhooks record no payment attempts and charge nothing: the workflow's four attempts stay as they were.
    const attempts = await t.pool.query(`SELECT attempt, outcome FROM payment_attempts WHERE invoice_id = $1 ORDER BY attempt`, [unpaidId]);
    expect(attempts.rows).toEqual([1, 2, 3, 4].map((attempt) => ({ attempt, outcome: 'failed' })));
    expect(t.sandbox.charges()).toHaveLength(chargesBefore);
    // The paid workspace's invoices did not move; no invoice came into being for the unknown ones.
    expect((await t.pool.query(`SELECT id, status, paid_at, payment_intent_id FROM invoices WHERE workspace_id = $1 ORDER BY number`, [paid])).rows).toEqual(paidBefore.rows);
    expect((await t.pool.query(`SELECT count(*)::int AS n FROM invoices WHERE workspace_id = $1`, [dunning])).rows[0].n).toBe(2);

    // The late failures left the workspace active: in the workflow, the read model and the usage path.
    const end = await t.state(dunning);
    expect(end.workspace.status).toBe('active');
    expect(end.unpaidInvoices).toEqual([]);
    expect((await t.pool.query(`SELECT status FROM workspaces WHERE id = $1`, [dunning])).rows[0].status).toBe('active');
    expect((await t.use(dunning)).ok).toBe(true);
  });
});
