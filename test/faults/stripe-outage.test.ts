// Issue 7, faults: Stripe answers 500 or cannot be reached while a paid
// workspace renews. The real workflow and activities (time-skipping Temporal,
// Postgres) charge the renewal through the Stripe sandbox while it fails, and
// once it is back the renewal must have happened exactly once: one invoice,
// paid; one PaymentIntent and one charge; one idempotency key on every
// request; the term opened once; no dunning, because an outage is not a
// decline (README, Billing rules: "Network errors, 5xx, 409 and 429 are
// retried").
import { Context } from '@temporalio/activity';
import { setTimeout as sleep } from 'node:timers/promises';
import type Stripe from 'stripe';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auditBalances } from '../../src/ledger/audit';
import { chargeIdempotencyKey } from '../../src/payments/stripe-requests';
import { createStripeClient } from '../../src/payments/stripe-client';
import { freePortOutsideEphemeralRange } from '../setup/free-port';
import { BillingTestEnv, pricing } from '../helpers/billing-env';
import { historyChain, scheduledActivities, timerSummaries } from '../helpers/workflow-history';

const PI_PATH = '/v1/payment_intents';
const PRO_CREDITS = pricing.plans.pro!.monthlyCredits!;

/** One chargeInvoice activity attempt as the worker ran it. */
interface ChargeAttempt {
  invoiceId: string;
  activityAttempt: number;
  ok: boolean;
  /** The network error code under Stripe's connection error (ECONNREFUSED, ECONNRESET), or the HTTP status. */
  failure: string | null;
}

let t: BillingTestEnv;
const clientRequests: Stripe.RequestEvent[] = [];
const chargeAttempts: ChargeAttempt[] = [];

beforeAll(async () => {
  t = await BillingTestEnv.create({ sandbox: { port: await freePortOutsideEphemeralRange() } });
  // The real activities on a Stripe client we listen to (every request it sends, with its idempotency key),
  // and chargeInvoice observed per attempt (what failed how); nothing else changes.
  const stripe = createStripeClient({ secretKey: 'sk_test_fault_tests', apiBase: t.sandbox.url });
  stripe.on('request', (e: Stripe.RequestEvent) => clientRequests.push(e));
  const real = t.realActivities(stripe);
  await t.startWorker({
    ...real,
    chargeInvoice: async (input) => {
      const attempt: ChargeAttempt = { invoiceId: input.invoiceId, activityAttempt: Context.current().info.attempt, ok: false, failure: null };
      chargeAttempts.push(attempt);
      try {
        const result = await real.chargeInvoice(input);
        attempt.ok = true;
        return result;
      } catch (err) {
        const cause = (err as { cause?: { statusCode?: number; detail?: { code?: string } } }).cause;
        attempt.failure = cause?.detail?.code ?? (cause?.statusCode ? String(cause.statusCode) : (err as Error).message);
        throw err;
      }
    },
  });
});
afterEach(async () => {
  t.sandbox.clearFaults();
  await t.sandbox.goOnline();
});
afterAll(async () => {
  await t?.teardown();
});

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A Pro workspace on a working card with some plan credits used; returns its first term's end. */
async function paidWorkspace(id: string): Promise<number> {
  await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
  expect(await t.useCredits(id, 7)).toBe(7);
  return (await t.state(id)).workspace.termEnd;
}

async function renewalInvoiceId(id: string): Promise<string> {
  let invoiceId = '';
  await until(async () => {
    const inv = (await t.invoices(id)).find((i) => i.business_key === `renewal:${id}:1`);
    invoiceId = inv?.id ?? '';
    // A transient failure must never end as a failed (or voided) payment: stop waiting at once if it does.
    if (inv && inv.status !== 'open' && inv.status !== 'paid') throw new Error(`the renewal invoice ended ${inv.status}`);
    return inv?.status === 'paid';
  }, 'the renewal invoice to be paid');
  return invoiceId;
}

/**
 * The invariants of a renewal that went through an outage. `from` marks where
 * this scenario's client requests and charge attempts start.
 */
async function expectRenewedExactlyOnce(id: string, invoiceId: string, from: { requests: number; attempts: number }) {
  const key = chargeIdempotencyKey(invoiceId, 1);

  // The workflow finished the renewal (continued as new into term 1) with nothing unpaid.
  const s = await t.waitFor(id, (x) => x.workspace.termIndex === 1 && x.phase === 'subscribed', 'term 1');
  expect(s.unpaidInvoices).toEqual([]);
  expect(s.workspace.status).toBe('active');
  const ws = await t.pool.query<{ status: string }>(`SELECT status FROM workspaces WHERE id = $1`, [id]);
  expect(ws.rows[0]!.status).toBe('active');

  // One renewal invoice for term 1, paid, with no failure recorded on it or on its only payment attempt.
  const invoices = await t.invoices(id);
  expect(invoices.map((i) => i.business_key)).toEqual([expect.stringMatching(new RegExp(`^signup:${id}:`)), `renewal:${id}:1`]);
  const { rows: [inv] } = await t.pool.query<{ status: string; payment_intent_id: string; payment_failure_code: string | null }>(
    `SELECT status, payment_intent_id, payment_failure_code FROM invoices WHERE id = $1`,
    [invoiceId],
  );
  expect(inv).toMatchObject({ status: 'paid', payment_intent_id: expect.stringMatching(/^pi_/), payment_failure_code: null });
  const attempts = await t.pool.query(
    `SELECT attempt, idempotency_key, payment_intent_id, outcome, failure_code FROM payment_attempts WHERE invoice_id = $1`,
    [invoiceId],
  );
  expect(attempts.rows).toEqual([{ attempt: 1, idempotency_key: key, payment_intent_id: inv!.payment_intent_id, outcome: 'succeeded', failure_code: null }]);
  // Finance got the invoice once, as paid (never as a failed payment).
  const outbox = await t.pool.query<{ status: string }>(
    `SELECT payload->>'status' AS status FROM outbox_events WHERE type = 'invoice.finalized' AND payload->>'invoiceId' = $1`,
    [invoiceId],
  );
  expect(outbox.rows.map((r) => r.status)).toEqual(['paid']);

  // Stripe: exactly one PaymentIntent and one (successful) charge for the invoice: the one on the invoice.
  const pis = t.sandbox.paymentIntents().filter((p) => p.metadata.invoice_id === invoiceId);
  expect(pis.map((p) => [p.id, p.status])).toEqual([[inv!.payment_intent_id, 'succeeded']]);
  const charges = t.sandbox.charges().filter((c) => c.metadata.invoice_id === invoiceId);
  expect(charges.map((c) => [c.paymentIntentId, c.status])).toEqual([[inv!.payment_intent_id, 'succeeded']]);

  // Every PaymentIntent request for it carried the same key: those the sandbox saw (by the invoice in their
  // metadata) and every one the client sent during the outage (also those that never reached Stripe).
  const seen = t.sandbox.requests().filter((r) => r.path === PI_PATH && r.metadata.invoice_id === invoiceId);
  expect(new Set(seen.map((r) => r.idempotencyKey))).toEqual(new Set([key]));
  const sent = clientRequests.slice(from.requests).filter((r) => r.method === 'POST' && r.path === PI_PATH);
  expect(new Set(sent.map((r) => r.idempotency_key))).toEqual(new Set([key]));

  // One charge activity, retried; only its last attempt succeeded. Each attempt sent one request (two when
  // the connection was reset: the Stripe client retries a closed connection once, with the same key).
  const tried = chargeAttempts.slice(from.attempts);
  expect(tried.every((a) => a.invoiceId === invoiceId)).toBe(true);
  expect(tried.map((a) => a.activityAttempt)).toEqual(tried.map((_, i) => i + 1));
  expect(tried.map((a) => a.ok)).toEqual([...tried.slice(1).map(() => false), true]);
  expect(sent.length).toBeGreaterThanOrEqual(tried.length);
  expect(sent.length).toBeLessThanOrEqual(2 * tried.length);

  // The history tells the same story: the renewal's charge was scheduled once and completed on its last attempt;
  // no activity failed as a payment failure, and no dunning retry was ever scheduled.
  const events = await historyChain(t.env.client, id);
  const activities = scheduledActivities(events);
  const renewalCharges = activities.filter((a) => a.type === 'chargeInvoice' && (a.input as { invoiceId: string }).invoiceId === invoiceId);
  expect(renewalCharges.map((a) => [a.outcome, a.attempt])).toEqual([['completed', tried.length]]);
  expect(activities.filter((a) => a.outcome !== 'completed')).toEqual([]);
  expect(timerSummaries(events).filter((x) => x.startsWith('Wait for payment retry'))).toEqual([]);

  // The term was opened once: term 0's unused credits expired once, term 1 granted once; cache = ledger.
  const ledger = await t.pool.query(
    `SELECT kind, term_index, amount FROM credit_ledger WHERE workspace_id = $1 AND kind IN ('grant', 'expiry') ORDER BY id`,
    [id],
  );
  expect(ledger.rows).toEqual([
    { kind: 'grant', term_index: 0, amount: PRO_CREDITS },
    { kind: 'expiry', term_index: 0, amount: -(PRO_CREDITS - 7) },
    { kind: 'grant', term_index: 1, amount: PRO_CREDITS },
  ]);
  expect(await t.balances(id)).toMatchObject({ term_index: 1, plan_balance: PRO_CREDITS });
  const [audit] = await auditBalances(t.pool, id);
  expect(audit).toMatchObject({ consistent: true, cache: { plan: PRO_CREDITS, purchased: 0 } });

  // Service goes on.
  expect((await t.use(id)).ok).toBe(true);
  // Cancelled at the end of term 1, so the next scenario's outage only ever sees its own workspace's charges.
  await t.workflows.cancel(id);
  return tried;
}

describe('Stripe fails while a paid workspace renews', () => {
  it('500s before and after the charge (responses lost): retried with one key, charged once, no dunning', async () => {
    const id = 'outage-5xx';
    const termEnd = await paidWorkspace(id);
    const from = { requests: clientRequests.length, attempts: chargeAttempts.length };
    // In order: two plain 500s; the charge goes through but its answer is lost; two 503s; the replayed
    // answer is lost too; then the key's stored answer comes back.
    t.sandbox.injectFailures({ count: 2, status: 500, path: PI_PATH });
    t.sandbox.injectFailures({ count: 1, status: 500, when: 'after', path: PI_PATH });
    t.sandbox.injectFailures({ count: 2, status: 503, path: PI_PATH });
    t.sandbox.injectFailures({ count: 1, status: 502, when: 'after', path: PI_PATH });

    await t.sleepUntil(termEnd + 30 * 60_000); // the activity's retry backoff passes in virtual time
    const invoiceId = await renewalInvoiceId(id);
    const tried = await expectRenewedExactlyOnce(id, invoiceId, from);

    expect(tried.map((a) => a.failure)).toEqual(['500', '500', '500', '503', '503', '502', null]);
    expect(clientRequests.slice(from.requests).filter((r) => r.path === PI_PATH)).toHaveLength(7);
    const seen = t.sandbox.requests().filter((r) => r.path === PI_PATH && r.metadata.invoice_id === invoiceId);
    expect(seen.map((r) => [r.outcome, r.status])).toEqual([
      ['fault', 500], ['fault', 500],
      ['lost', 500], // charged here
      ['fault', 503], ['fault', 503],
      ['lost', 502], // the replay's answer lost
      ['replayed', 200],
    ]);
  });

  it('unreachable (connection refused, then connections reset, one after the charge): retried with one key, charged once, no dunning', async () => {
    const id = 'outage-unreachable';
    const termEnd = await paidWorkspace(id);
    const from = { requests: clientRequests.length, attempts: chargeAttempts.length };
    const port = t.sandbox.port;
    const failedWith = (code: string) => chargeAttempts.slice(from.attempts).filter((a) => a.failure === code).length;
    await t.sandbox.goOffline('refuse');

    const slept = t.sleepUntil(termEnd + 6 * 3_600_000);
    try {
      await until(() => failedWith('ECONNREFUSED') >= 3, 'three refused attempts');
      await t.sandbox.goOffline('reset'); // listening again, but every request's connection is dropped
      await until(() => failedWith('ECONNRESET') >= 2, 'two reset attempts');
      // Back: the first request is charged and its connection dropped before the answer; the retry replays it.
      t.sandbox.injectFailures({ count: 1, reset: true, when: 'after', path: PI_PATH });
      await t.sandbox.goOnline();
    } finally {
      await t.sandbox.goOnline();
      await slept;
    }
    expect(t.sandbox.port).toBe(port);

    const invoiceId = await renewalInvoiceId(id);
    const tried = await expectRenewedExactlyOnce(id, invoiceId, from);

    const failures = tried.map((a) => a.failure);
    const refusedCount = failures.filter((f) => f === 'ECONNREFUSED').length;
    expect(refusedCount).toBeGreaterThanOrEqual(3);
    expect(failures.slice(0, refusedCount)).toEqual(failures.slice(0, refusedCount).map(() => 'ECONNREFUSED'));
    expect(failures.slice(refusedCount, -1).length).toBeGreaterThanOrEqual(2);
    expect(new Set(failures.slice(refusedCount, -1))).toEqual(new Set(['ECONNRESET']));
    // What reached the sandbox: dropped connections, then the charge whose answer was dropped, then its replay.
    const seen = t.sandbox.requests().filter((r) => r.path === PI_PATH && r.metadata.invoice_id === invoiceId);
    expect(seen.map((r) => r.outcome)).toEqual([...seen.slice(0, -2).map(() => 'reset'), 'lost', 'replayed']);
    expect(seen.length).toBeGreaterThanOrEqual(tried.length - refusedCount + 1);
  });
});
