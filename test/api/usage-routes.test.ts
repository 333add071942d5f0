import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { buildApp, type App } from '../../src/http/app';
import { usageRoutes } from '../../src/http/routes/usage';
import { workspaceReadRoutes } from '../../src/http/routes/workspace-read';
import { getBalances } from '../../src/ledger/balances';
import { countRows, createTestWorkspace, TERM_END, TERM_START } from '../helpers/ledger';

const tokens = { api: 'full-token', read: 'read-token' };
const full = { authorization: 'Bearer full-token' };
const read = { authorization: 'Bearer read-token' };
let pool: Pool;
let app: App;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 4);
  const pricing = loadPricing();
  app = await buildApp({ tokens, routes: [usageRoutes({ pool, pricing }), workspaceReadRoutes({ pool })] });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

let n = 0;
const body = (extra: Record<string, unknown> = {}) => ({ idempotencyKey: `api-${++n}`, memberId: 'alice', action: 'chat_question', feature: 'chat', ...extra });
const post = (ws: string, payload: unknown, headers: Record<string, string> = full) =>
  app.inject({ method: 'POST', url: `/v1/workspaces/${ws}/usage`, headers, payload: payload as object });
const get = (url: string, headers: Record<string, string> = full) => app.inject({ method: 'GET', url, headers });

describe('POST /v1/workspaces/:id/usage', () => {
  it('charges and answers {creditsCharged, buckets, balance}; a retry replays the first answer', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2, purchased: 5 });
    const req = body({ action: 'ai_assist', tokens: 3500 });
    const res = await post(ws, req);
    expect(res.statusCode).toBe(200);
    const first = res.json();
    expect(first).toEqual({ creditsCharged: 4, buckets: { plan: 2, purchased: 2, overage: 0 }, balance: { plan: 0, purchased: 3, total: 3 }, unbilledShortfall: 0 });
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    const again = await post(ws, req);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ total: 3 });
  });

  it('402 credit_limit_reached carries refreshesAt in the error; 402 payment_required; 403 feature_disabled / subscription_cancelled; 409; 404', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1, disabledFeatures: ['reports'] });
    expect((await post(ws, body())).statusCode).toBe(200);
    const limit = await post(ws, body());
    expect(limit.statusCode).toBe(402);
    expect(limit.json()).toEqual({
      error: {
        code: 'credit_limit_reached',
        message: expect.stringContaining(new Date(TERM_END).toISOString()),
        refreshesAt: new Date(TERM_END).toISOString(),
        creditsRequired: 1,
        balance: { plan: 0, purchased: 0, total: 0 },
      },
    });
    expect((await post(ws, body({ feature: 'reports' }))).json().error.code).toBe('feature_disabled');

    const reused = body();
    const other = await createTestWorkspace(pool);
    expect((await post(other, reused)).statusCode).toBe(200);
    const conflict = await post(other, { ...reused, memberId: 'bob' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('idempotency_conflict');

    await pool.query(`UPDATE workspaces SET status = 'past_due' WHERE id = $1`, [other]);
    expect((await post(other, body())).json()).toMatchObject({ error: { code: 'payment_required' } });
    await pool.query(`UPDATE workspaces SET status = 'cancelled' WHERE id = $1`, [other]);
    const cancelled = await post(other, body());
    expect(cancelled.statusCode).toBe(403);
    expect(cancelled.json().error.code).toBe('subscription_cancelled');

    const unknown = await post('no-such-ws', body());
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  const tooLong = (len: number) => 'x'.repeat(len);
  it.each([
    { name: 'tokens as a string', payload: body({ action: 'ai_assist', tokens: '5' }), status: 422, message: /tokens/ },
    { name: 'fractional tokens', payload: body({ action: 'ai_assist', tokens: 1.5 }), status: 422, message: /tokens/ },
    { name: 'negative tokens', payload: body({ action: 'ai_assist', tokens: -1 }), status: 422, message: /tokens/ },
    { name: 'absurd tokens', payload: body({ action: 'ai_assist', tokens: 1e12 }), status: 422, message: /tokens/ },
    { name: 'missing tokens for ai_assist', payload: body({ action: 'ai_assist' }), status: 422, message: /metered by tokens/ },
    { name: 'alreadyPerformed as a string', payload: body({ alreadyPerformed: 'yes' }), status: 422, message: /alreadyPerformed/ },
    { name: 'memberId as a number', payload: body({ memberId: 5 }), status: 422, message: /memberId/ },
    { name: 'unknown action', payload: body({ action: 'teleport' }), status: 422, message: /unknown action 'teleport'/ },
    { name: 'malformed action', payload: body({ action: 'Chat Question!' }), status: 422, message: /action/ },
    { name: 'oversized memberId', payload: body({ memberId: tooLong(201) }), status: 422, message: /memberId/ },
    { name: 'oversized idempotencyKey', payload: body({ idempotencyKey: tooLong(201) }), status: 422, message: /idempotencyKey/ },
    { name: 'control characters in memberId', payload: body({ memberId: 'a\u0000b' }), status: 422, message: /memberId/ },
    { name: 'empty feature', payload: body({ feature: '' }), status: 422, message: /feature/ },
    { name: 'unknown field', payload: body({ credits: 1000 }), status: 422, message: /credits|additional/i },
    { name: 'missing idempotencyKey', payload: { memberId: 'a', action: 'chat_question', feature: 'chat' }, status: 422, message: /idempotencyKey/ },
    { name: 'a JSON array', payload: [1, 2], status: 422, message: /body/ },
  ])('$name -> $status with a clear message, nothing written', async ({ payload, status, message }) => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const before = await countRows(pool, ws);
    const res = await post(ws, payload);
    expect(res.statusCode).toBe(status);
    const error = res.json().error;
    expect(error.message).toMatch(message);
    expect(error.code).toMatch(/^(validation_failed|unknown_action)$/);
    expect(await countRows(pool, ws)).toEqual(before);
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 25, purchased: 0, total: 25 });
  });

  it('the on-demand 402 says the request would exceed the limit: limit, used and requested', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1, onDemand: { enabled: true, monthlyLimit: 3 } });
    // 1 plan credit + 1 on-demand: 1 of the 3 on-demand credits used.
    expect((await post(ws, body({ action: 'ai_assist', tokens: 2000 }))).statusCode).toBe(200);
    // 5 credits with none left: 5 more on-demand would make 6 of 3.
    const refused = await post(ws, body({ action: 'ai_assist', tokens: 5000 }));
    expect(refused.statusCode).toBe(402);
    const error = refused.json().error;
    expect(error).toMatchObject({ code: 'credit_limit_reached', creditsRequired: 5, onDemand: { limit: 3, used: 1, requested: 5 } });
    expect(error.message).toContain('it would need 5 on-demand credits, which would exceed the on-demand limit of 3 credits (1 used this term)');
    expect(error.message).not.toMatch(/limit .* is reached/);
  });

  it('says "1 credit", not "1 credits", in the on-demand 402', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 0, onDemand: { enabled: true, monthlyLimit: 1 } });
    // The one on-demand credit, then a request that would need one more.
    expect((await post(ws, body({ action: 'ai_assist', tokens: 1000 }))).statusCode).toBe(200);
    const refused = (await post(ws, body({ action: 'ai_assist', tokens: 1000 }))).json().error;
    expect(refused.message).toContain('it would need 1 on-demand credit, which would exceed the on-demand limit of 1 credit (1 used this term)');
  });

  it('rejects bad credentials, the read token, malformed JSON and a malformed workspace id, writing nothing', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const before = await countRows(pool, ws);
    const cases = [
      [await post(ws, body(), {}), 401, 'unauthorized'],
      [await post(ws, body(), { authorization: 'Bearer wrong' }), 401, 'unauthorized'],
      [await post(ws, body(), read), 403, 'forbidden'],
      [await app.inject({ method: 'POST', url: `/v1/workspaces/${ws}/usage`, headers: { ...full, 'content-type': 'application/json' }, payload: '{"idempotencyKey":' }), 400, 'invalid_json'],
      [await post('bad id!', body()), 422, 'validation_failed'],
    ] as const;
    for (const [res, status, code] of cases) {
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
    }
    expect(await countRows(pool, ws)).toEqual(before);
  });
});

describe('GET /v1/workspaces/:id/usage', () => {
  it('groups the current term by member (default) or by UTC day, for the read token, with credits exhausted and cancelled', async () => {
    const now = Date.now();
    const ws = await createTestWorkspace(pool, { planCredits: 10, termStart: now - 10 * 86_400_000, termEnd: now + 20 * 86_400_000 });
    await post(ws, body({ memberId: 'alice' }));
    await post(ws, body({ memberId: 'alice', action: 'ai_assist', tokens: 2500 }));
    await post(ws, body({ memberId: 'bob', action: 'ai_assist', tokens: 5000 }));
    await post(ws, body({ memberId: 'bob', action: 'view_liveboard' })); // not consumption: not reported
    // move alice's first request to an earlier day of the term
    await pool.query(`UPDATE usage_events SET at = at - interval '3 days' WHERE workspace_id = $1 AND tokens IS NULL`, [ws]);
    await pool.query(`UPDATE workspaces SET status = 'cancelled' WHERE id = $1`, [ws]);
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ total: 1 });

    const byMember = await get(`/v1/workspaces/${ws}/usage`, read);
    expect(byMember.statusCode).toBe(200);
    expect(byMember.json()).toMatchObject({
      groupBy: 'member',
      totals: { requests: 3, credits: 9, tokens: 7500 },
      groups: [
        { memberId: 'alice', requests: 2, credits: 4, tokens: 2500 },
        { memberId: 'bob', requests: 1, credits: 5, tokens: 5000 },
      ],
    });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const byDay = await get(`/v1/workspaces/${ws}/usage?groupBy=day`, read);
    expect(byDay.json().groups).toEqual([
      { day: day(Date.now() - 3 * 86_400_000), requests: 1, credits: 1, tokens: 0 },
      { day: day(Date.now()), requests: 2, credits: 8, tokens: 7500 },
    ]);
  });

  it('honours from/to and validates the query', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 10, termStart: TERM_START, termEnd: TERM_END });
    await post(ws, body());
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const inRange = await get(`/v1/workspaces/${ws}/usage?from=${from}&to=${to}`);
    expect(inRange.json()).toMatchObject({ from, to, totals: { requests: 1, credits: 1 } });
    // the default range is the current term (in 2025 here): today's request is outside it
    expect((await get(`/v1/workspaces/${ws}/usage`)).json().totals).toEqual({ requests: 0, credits: 0, tokens: 0 });

    for (const q of ['groupBy=week', `from=${to}&to=${from}`, 'from=yesterday', 'limit=5', `from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`]) {
      const res = await get(`/v1/workspaces/${ws}/usage?${q}`);
      expect(res.statusCode, q).toBe(422);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect((await get(`/v1/workspaces/nobody/usage`)).statusCode).toBe(404);
  });
});

describe('GET /v1/workspaces/:id/usage/history', () => {
  it('pages newest first with a cursor and a bounded page size', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 20 });
    for (let i = 1; i <= 5; i++) await post(ws, body({ memberId: `m${i}`, action: 'ai_assist', tokens: i * 1000 }));
    const rows: Array<Record<string, unknown>> = [];
    const sizes: number[] = [];
    let url = `/v1/workspaces/${ws}/usage/history?limit=2`;
    for (;;) {
      const res = await get(url, read);
      expect(res.statusCode).toBe(200);
      const page = res.json();
      sizes.push(page.data.length);
      rows.push(...page.data);
      if (!page.nextCursor) break;
      url = `/v1/workspaces/${ws}/usage/history?limit=2&cursor=${page.nextCursor}`;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(rows.map((r) => r.memberId)).toEqual(['m5', 'm4', 'm3', 'm2', 'm1']);
    expect(rows[0]).toEqual({ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), memberId: 'm5', action: 'ai_assist', feature: 'chat', tokens: 5000, credits: 5 });

    const all = await get(`/v1/workspaces/${ws}/usage/history`);
    expect(all.json()).toMatchObject({ nextCursor: null });
    expect(all.json().data).toHaveLength(5);
    for (const q of ['limit=0', 'limit=201', 'limit=ten', 'cursor=abc', 'cursor=-1', 'page=2']) {
      const res = await get(`/v1/workspaces/${ws}/usage/history?${q}`);
      expect(res.statusCode, q).toBe(422);
    }
    expect((await get(`/v1/workspaces/nobody/usage/history`)).statusCode).toBe(404);
  });
});

describe('GET /v1/workspaces/:id', () => {
  it('answers the SPEC shape from the read model (a scheduled downgrade included), also for the read token and when cancelled and exhausted', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 3, purchased: 2, onDemand: { enabled: true, monthlyLimit: 1000 }, disabledFeatures: ['reports'] });
    await post(ws, body({ action: 'ai_assist', tokens: 7000 }));
    const cancelAt = new Date(TERM_END);
    const retentionUntil = new Date(TERM_END + 30 * 86_400_000);
    await pool.query(`UPDATE workspaces SET status = 'cancelled', cancel_at = $2, retention_until = $3, scheduled_plan = 'free' WHERE id = $1`, [
      ws,
      cancelAt,
      retentionUntil,
    ]);
    const res = await get(`/v1/workspaces/${ws}`, read);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: ws,
      plan: 'pro',
      status: 'cancelled',
      term: { start: new Date(TERM_START).toISOString(), end: new Date(TERM_END).toISOString() },
      balance: { plan: 0, purchased: 0, total: 0 },
      overage: { enabled: true, monthlyLimit: 1000, used: 2 },
      disabledFeatures: ['reports'],
      cancelAt: cancelAt.toISOString(),
      retentionUntil: retentionUntil.toISOString(),
      lowBalanceThreshold: null,
      // The downgrade waiting for renewal: at the end of the term.
      scheduledChange: { plan: 'free', effectiveAt: new Date(TERM_END).toISOString() },
    });
    const missing = await get(`/v1/workspaces/nobody-here`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: { code: 'not_found', message: "workspace 'nobody-here' was not found" } });
    expect((await get(`/v1/workspaces/${ws}`, {})).statusCode).toBe(401);
  });

  it('is described in the OpenAPI document with the usage endpoints', async () => {
    const paths = Object.keys((await get('/openapi.json')).json().paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/workspaces/{id}', '/v1/workspaces/{id}/usage', '/v1/workspaces/{id}/usage/history']));
  });
});
