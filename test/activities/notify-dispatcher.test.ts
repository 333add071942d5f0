import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { checkAndDebit } from '../../src/ledger/check-and-debit';
import { dispatchOnce, startDispatcher } from '../../src/notify/dispatcher';
import { createTestWorkspace } from '../helpers/ledger';
import { createScratchDatabase } from '../../src/db/scratch-database';

const SECRET = 'whsec_test';
interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

let pool: Pool;
let drop: () => Promise<void>;
let server: http.Server;
let url: string;
let received: Received[] = [];
let statuses: number[] = []; // answers to give, then 200
let onReceive: () => void = () => undefined;

/** Verifies like a receiver would, independently of src/notify/signature.ts. */
function verify(header: string | undefined, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  return createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest('hex') === m[2];
}

beforeAll(async () => {
  const db = await createScratchDatabase(inject('databaseUrl'), 'billing_notify');
  drop = db.drop;
  pool = createPool(db.url, 4);
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body, signatureValid: verify(req.headers['x-billing-signature'] as string, body) });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
      onReceive();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await drop?.();
});
beforeEach(async () => {
  received = [];
  statuses = [];
  await pool.query(`DELETE FROM outbox_events`);
});

const addEvent = (type: string, key: string, payload: object = { n: 1 }) =>
  pool.query(`INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key) VALUES ('ws-1', $1, $2, $3)`, [type, payload, key]);
const row = async (key: string) =>
  (await pool.query(`SELECT attempts, delivered_at, last_error, next_attempt_at > now() AS later, next_attempt_at - now() > interval '6 seconds' AS backed_off
                     FROM outbox_events WHERE dedupe_key = $1`, [key])).rows[0];

describe('outbox dispatcher', () => {
  it('delivers events of any type, signed, and marks them delivered', async () => {
    await addEvent('credits.low', 'a', { balance: { total: 2 } });
    await addEvent('invoice.finalized', 'b', { invoiceId: 'inv_1' });
    expect(await dispatchOnce(pool, { url, secret: SECRET })).toEqual({ delivered: 2, failed: 0 });
    expect(received.map((r) => r.signatureValid)).toEqual([true, true]);
    const bodies = received.map((r) => JSON.parse(r.body));
    expect(bodies).toEqual([
      { id: expect.any(String), type: 'credits.low', workspaceId: 'ws-1', createdAt: expect.any(String), data: { balance: { total: 2 } } },
      { id: expect.any(String), type: 'invoice.finalized', workspaceId: 'ws-1', createdAt: expect.any(String), data: { invoiceId: 'inv_1' } },
    ]);
    expect(received[0]!.headers['x-billing-event-id']).toBe(bodies[0].id);
    expect(received[0]!.headers['x-billing-event-type']).toBe('credits.low');
    expect(await row('a')).toMatchObject({ attempts: 1, last_error: null, delivered_at: expect.any(Date) });
    expect(await dispatchOnce(pool, { url, secret: SECRET })).toEqual({ delivered: 0, failed: 0 });
    expect(received).toHaveLength(2);
  });

  it('backs off after a failure and retries the same event, which then succeeds', async () => {
    await addEvent('credits.exhausted', 'c');
    statuses = [500];
    expect(await dispatchOnce(pool, { url, secret: SECRET })).toEqual({ delivered: 0, failed: 1 });
    expect(await row('c')).toMatchObject({ attempts: 1, delivered_at: null, last_error: 'HTTP 500', later: true });
    // not due yet: nothing is sent
    expect(await dispatchOnce(pool, { url, secret: SECRET })).toEqual({ delivered: 0, failed: 0 });
    await pool.query(`UPDATE outbox_events SET next_attempt_at = now() WHERE dedupe_key = 'c'`); // the backoff has passed
    expect(await dispatchOnce(pool, { url, secret: SECRET })).toEqual({ delivered: 1, failed: 0 });
    expect(received).toHaveLength(2);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    expect(JSON.parse(received[0]!.body).id).toBe(JSON.parse(received[1]!.body).id);
    expect(await row('c')).toMatchObject({ attempts: 2, delivered_at: expect.any(Date), last_error: null });
  });

  it('records network errors and waits longer after each failure', async () => {
    await addEvent('credits.low', 'd');
    const unreachable = 'http://127.0.0.1:9/nothing-listens-here';
    expect(await dispatchOnce(pool, { url: unreachable, secret: SECRET })).toEqual({ delivered: 0, failed: 1 });
    expect(await row('d')).toMatchObject({ attempts: 1, last_error: expect.stringMatching(/fetch failed|ECONNREFUSED/), backed_off: false });
    await pool.query(`UPDATE outbox_events SET next_attempt_at = now() WHERE dedupe_key = 'd'`);
    await dispatchOnce(pool, { url: unreachable, secret: SECRET });
    expect(await row('d')).toMatchObject({ attempts: 2, backed_off: true }); // 10 s after the second failure vs 5 s after the first
  });

  it('delivers the credits.low event a real debit wrote, from the running loop', async () => {
    const pricing = loadPricing();
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100 });
    const arrived = new Promise<void>((resolve) => (onReceive = resolve));
    const loop = startDispatcher(pool, { url, secret: SECRET, intervalMs: 20 });
    await checkAndDebit(pool, pricing, { workspaceId: ws, idempotencyKey: 'k', memberId: 'm', action: 'ai_assist', feature: 'f', tokens: 95_000 });
    await arrived;
    await loop.stop();
    expect(received).toHaveLength(1);
    expect(received[0]!.signatureValid).toBe(true);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'credits.low', workspaceId: ws, data: { balance: { total: 5 }, threshold: 10 } });
  });
});
