// The HTTP contract of SPEC section 7 where it needs no workflow: every route's
// 401/403, and the 404/409/422 (and 400/413/415) answers bad requests get,
// each in the {"error": {code, message}} shape, on Fastify's app.inject
// against the service's API on Postgres, with workflows a request must never
// reach (test/helpers/api-app.ts). Plus the OpenAPI document: valid OpenAPI 3
// and listing every route. The refusals that need the running workflow or
// Stripe are in test/e2e/contract.test.ts.
import { Validator } from '@seriousme/openapi-schema-validator';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { API_TOKENS, apiOnInject } from '../helpers/api-app';
import { usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { injectClient } from '../helpers/inject-client';
import { createTestWorkspace, testPool } from '../helpers/ledger';
import { expectRefusal } from '../helpers/refusal';
import { SPEC_ROUTES, urlFor } from '../helpers/spec-routes';
import { uniqueId } from '../helpers/workspaces';

const pool = testPool(3);
let call: ApiCall;
const id = uniqueId('contract');
const ws = `/v1/workspaces/${id}`;
const unknown = `/v1/workspaces/${uniqueId('missing')}`;
// Auth is decided before any handler runs: any invoice id will do.
const invoiceId = randomUUID();
let viewBefore: unknown;

beforeAll(async () => {
  call = injectClient(await apiOnInject(pool), API_TOKENS.api);
  await createTestWorkspace(pool, { id, disabledFeatures: ['reports'] });
  expect((await call('POST', `${ws}/usage`, { body: usageBody('used-once') })).status).toBe(200);
  viewBefore = (await call('GET', ws)).body;
});

/** A valid request per write route: with the read token it must change nothing. */
const WRITE_BODIES: Record<string, unknown> = {
  'POST /v1/workspaces': workspaceBody(uniqueId('never')),
  'POST /v1/workspaces/{id}/plan': { plan: 'growth' },
  'PUT /v1/workspaces/{id}/payment-method': { paymentMethod: 'pm_card_mastercard' },
  'POST /v1/workspaces/{id}/purchases': { credits: 100, idempotencyKey: 'read-token-buy' },
  'PUT /v1/workspaces/{id}/on-demand': { enabled: true, monthlyLimit: 5 },
  'PUT /v1/workspaces/{id}/features/{feature}': { enabled: false },
  'PUT /v1/workspaces/{id}/low-balance': { threshold: 3 },
  'POST /v1/workspaces/{id}/usage': usageBody('read-token-usage'),
};

const bearerRoutes = SPEC_ROUTES.filter((r) => r.bearer);
const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe('authentication (every bearer route)', () => {
  it.each(bearerRoutes.map((r) => [label(r), r] as const))('%s: 401 without a token and with a wrong one', async (_, route) => {
    const url = urlFor(route, { id, invoiceId });
    for (const token of [null, 'bk_full_wrong']) {
      const res = await call(route.method, url, { token, body: WRITE_BODIES[label(route)] });
      expect(res.status).toBe(401);
      expect(res.body.error).toMatchObject({ code: 'unauthorized', message: expect.any(String) });
    }
  });

  const writes = bearerRoutes.filter((r) => r.method !== 'GET');
  it.each(writes.map((r) => [label(r), r] as const))('%s: 403 for the read-only token', async (_, route) => {
    const res = await call(route.method, urlFor(route, { id, invoiceId }), { token: API_TOKENS.read, body: WRITE_BODIES[label(route)] });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it('public routes need no token', async () => {
    for (const url of ['/healthz', '/metrics', '/openapi.json']) expect((await call('GET', url, { token: null })).status).toBe(200);
  });
});

type Case = [what: string, method: string, url: () => string, body: unknown, status: number, code: string];

const tooLong = 'x'.repeat(65);
const cases: Case[] = [
  // POST /v1/workspaces
  ['create: a number for a string', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { name: 42 }), 422, 'validation_failed'],
  ['create: an unknown field', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { colour: 'red' }), 422, 'validation_failed'],
  ['create: an unknown address field', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { billingAddress: { country: 'US', planet: 'Mars' } }), 422, 'validation_failed'],
  ['create: billingEmail missing', 'POST', () => '/v1/workspaces', { ...workspaceBody(uniqueId('c')), billingEmail: undefined }, 422, 'validation_failed'],
  ['create: not an email', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { billingEmail: 'finance' }), 422, 'validation_failed'],
  ['create: a lower-case country', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { billingAddress: { country: 'us' } }), 422, 'validation_failed'],
  ['create: an id with spaces', 'POST', () => '/v1/workspaces', workspaceBody('has spaces'), 422, 'validation_failed'],
  ['create: an id of 65 characters', 'POST', () => '/v1/workspaces', workspaceBody(tooLong), 422, 'validation_failed'],
  ['create: a name of 201 characters', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { name: 'n'.repeat(201) }), 422, 'validation_failed'],
  ['create: an unknown plan', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { plan: 'platinum' }), 422, 'validation_failed'],
  ['create: a paid plan without a card', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { plan: 'pro' }), 422, 'payment_method_required'],
  ['create: enterprise without terms', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { plan: 'enterprise', paymentMethod: 'pm_card_visa' }), 422, 'validation_failed'],
  ['create: terms on a catalog plan', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { enterprise: { monthlyCredits: 5, monthlyPriceCents: 0 } }), 422, 'validation_failed'],
  ['create: negative enterprise credits', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { plan: 'enterprise', enterprise: { monthlyCredits: -1, monthlyPriceCents: 0 } }), 422, 'validation_failed'],
  ['create: a payment method that is not pm_...', 'POST', () => '/v1/workspaces', workspaceBody(uniqueId('c'), { paymentMethod: 'card_4242' }), 422, 'validation_failed'],
  // GET /v1/workspaces/:id
  ['workspace: unknown', 'GET', () => unknown, undefined, 404, 'not_found'],
  ['workspace: an id of 65 characters', 'GET', () => `/v1/workspaces/${tooLong}`, undefined, 422, 'validation_failed'],
  // POST .../plan
  ['plan: missing plan', 'POST', () => `${ws}/plan`, {}, 422, 'validation_failed'],
  ['plan: an unknown field', 'POST', () => `${ws}/plan`, { plan: 'pro', when: 'now' }, 422, 'validation_failed'],
  ['plan: a number for the plan', 'POST', () => `${ws}/plan`, { plan: 2 }, 422, 'validation_failed'],
  // cancel / resume
  // PUT .../payment-method
  ['payment method: not pm_...', 'PUT', () => `${ws}/payment-method`, { paymentMethod: 'tok_visa' }, 422, 'validation_failed'],
  ['payment method: missing', 'PUT', () => `${ws}/payment-method`, {}, 422, 'validation_failed'],
  // POST .../purchases
  ['purchase: below the minimum', 'POST', () => `${ws}/purchases`, { credits: 99, idempotencyKey: 'k-99' }, 422, 'validation_failed'],
  ['purchase: above the maximum', 'POST', () => `${ws}/purchases`, { credits: 100_001, idempotencyKey: 'k-max' }, 422, 'validation_failed'],
  ['purchase: not an integer', 'POST', () => `${ws}/purchases`, { credits: 150.5, idempotencyKey: 'k-frac' }, 422, 'validation_failed'],
  ['purchase: a string for credits', 'POST', () => `${ws}/purchases`, { credits: '1000', idempotencyKey: 'k-str' }, 422, 'validation_failed'],
  ['purchase: no idempotency key', 'POST', () => `${ws}/purchases`, { credits: 100 }, 422, 'validation_failed'],
  ['purchase: an unknown field', 'POST', () => `${ws}/purchases`, { credits: 100, idempotencyKey: 'k-x', coupon: 'FREE' }, 422, 'validation_failed'],
  // PUT .../on-demand
  ['on-demand: a negative limit', 'PUT', () => `${ws}/on-demand`, { enabled: true, monthlyLimit: -1 }, 422, 'validation_failed'],
  ['on-demand: a limit too high', 'PUT', () => `${ws}/on-demand`, { enabled: true, monthlyLimit: 10_000_001 }, 422, 'validation_failed'],
  ['on-demand: a fractional limit', 'PUT', () => `${ws}/on-demand`, { enabled: true, monthlyLimit: 1.5 }, 422, 'validation_failed'],
  ['on-demand: a string for enabled', 'PUT', () => `${ws}/on-demand`, { enabled: 'yes', monthlyLimit: 0 }, 422, 'validation_failed'],
  ['on-demand: limit missing', 'PUT', () => `${ws}/on-demand`, { enabled: true }, 422, 'validation_failed'],
  // PUT .../features/:feature
  ['feature: a bad feature name', 'PUT', () => `${ws}/features/Chat%20Bot`, { enabled: false }, 422, 'validation_failed'],
  ['feature: enabled missing', 'PUT', () => `${ws}/features/chat`, {}, 422, 'validation_failed'],
  ['feature: a string for enabled', 'PUT', () => `${ws}/features/chat`, { enabled: 'false' }, 422, 'validation_failed'],
  // POST .../usage
  ['usage: unknown workspace', 'POST', () => `${unknown}/usage`, usageBody('u-404'), 404, 'not_found'],
  ['usage: an unknown action', 'POST', () => `${ws}/usage`, { ...usageBody('u-action'), action: 'teleport' }, 422, 'unknown_action'],
  ['usage: a token action without tokens', 'POST', () => `${ws}/usage`, { ...usageBody('u-tokens'), action: 'ai_assist' }, 422, 'validation_failed'],
  ['usage: negative tokens', 'POST', () => `${ws}/usage`, { ...usageBody('u-neg'), action: 'ai_assist', tokens: -1 }, 422, 'validation_failed'],
  ['usage: fractional tokens', 'POST', () => `${ws}/usage`, { ...usageBody('u-frac'), action: 'ai_assist', tokens: 1.5 }, 422, 'validation_failed'],
  ['usage: an unknown field', 'POST', () => `${ws}/usage`, { ...usageBody('u-field'), priority: 'high' }, 422, 'validation_failed'],
  ['usage: memberId missing', 'POST', () => `${ws}/usage`, { ...usageBody('u-member'), memberId: undefined }, 422, 'validation_failed'],
  ['usage: a control character in memberId', 'POST', () => `${ws}/usage`, { ...usageBody('u-ctl'), memberId: 'a\u0007b' }, 422, 'validation_failed'],
  ['usage: a string for alreadyPerformed', 'POST', () => `${ws}/usage`, { ...usageBody('u-ap'), alreadyPerformed: 'true' }, 422, 'validation_failed'],
  ['usage: a used key with another body', 'POST', () => `${ws}/usage`, { ...usageBody('used-once'), memberId: 'someone-else' }, 409, 'idempotency_conflict'],
  ['usage: a disabled feature', 'POST', () => `${ws}/usage`, { ...usageBody('u-off'), feature: 'reports' }, 403, 'feature_disabled'],
  // GET .../usage and .../usage/history
  ['usage summary: unknown workspace', 'GET', () => `${unknown}/usage`, undefined, 404, 'not_found'],
  ['usage summary: groupBy=week', 'GET', () => `${ws}/usage?groupBy=week`, undefined, 422, 'validation_failed'],
  ['usage summary: from is not a date-time', 'GET', () => `${ws}/usage?from=yesterday`, undefined, 422, 'validation_failed'],
  ['usage summary: from after to', 'GET', () => `${ws}/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, undefined, 422, 'validation_failed'],
  ['usage summary: an unknown parameter', 'GET', () => `${ws}/usage?member=alice`, undefined, 422, 'validation_failed'],
  ['usage history: unknown workspace', 'GET', () => `${unknown}/usage/history`, undefined, 404, 'not_found'],
  ['usage history: limit=0', 'GET', () => `${ws}/usage/history?limit=0`, undefined, 422, 'validation_failed'],
  ['usage history: limit=201', 'GET', () => `${ws}/usage/history?limit=201`, undefined, 422, 'validation_failed'],
  ['usage history: a bad cursor', 'GET', () => `${ws}/usage/history?cursor=abc`, undefined, 422, 'validation_failed'],
  // invoices and export
  ['invoices: unknown workspace', 'GET', () => `${unknown}/invoices`, undefined, 404, 'not_found'],
  ['invoices: limit=0', 'GET', () => `${ws}/invoices?limit=0`, undefined, 422, 'validation_failed'],
  ['invoice: unknown id', 'GET', () => `/v1/invoices/${randomUUID()}`, undefined, 404, 'not_found'],
  ['invoice: unknown number', 'GET', () => '/v1/invoices/INV-1999-000001', undefined, 404, 'not_found'],
  ['invoice: neither an id nor a number', 'GET', () => '/v1/invoices/INV-2026-1', undefined, 422, 'validation_failed'],
  ['invoice pdf: unknown id', 'GET', () => `/v1/invoices/${randomUUID()}/pdf`, undefined, 404, 'not_found'],
  ['invoice pdf: neither an id nor a number', 'GET', () => '/v1/invoices/latest/pdf', undefined, 422, 'validation_failed'],
  ['export: unknown workspace', 'GET', () => `${unknown}/export`, undefined, 404, 'not_found'],
  ['export: an id of 65 characters', 'GET', () => `/v1/workspaces/${tooLong}/export`, undefined, 422, 'validation_failed'],
  ['an unknown route', 'GET', () => '/v1/workspaces-all', undefined, 404, 'not_found'],
];

describe('refusals of bad requests (404, 409, 422, ...)', () => {
  it.each(cases)('%s: %s -> %i %s', async (_, method, url, body, status, code) => {
    const res = await call(method, url(), { body });
    expectRefusal(res, status, code);
    // Every route names an unknown workspace the same way.
    if (url().startsWith(unknown)) expect(res.body.error.message).toBe(`workspace '${unknown.slice('/v1/workspaces/'.length)}' was not found`);
  });

  it('400 for malformed JSON, 415 for a body that is not JSON, 413 for a body over 64 KiB', async () => {
    const malformed = await call('POST', `${ws}/usage`, { raw: '{"idempotencyKey": ' });
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'invalid_json']);
    const text = await call('POST', `${ws}/usage`, { raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect([text.status, text.body.error.code]).toEqual([415, 'unsupported_media_type']);
    const huge = await call('POST', '/v1/workspaces', { body: workspaceBody(uniqueId('big'), { name: 'x'.repeat(70_000) }) });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'body_too_large']);
  });

  it('409 workspace_deleted for the id of a purged workspace (ids are not reused), writing nothing', async () => {
    // A workspace whose retention ended: the purge leaves the row (invoices refer to it) marked deleted.
    const purged = uniqueId('purged');
    await pool.query(
      `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, status, anchor_at, term_start, term_end)
       VALUES ($1, 'Gone', 'gone@example.com', '{"country":"US"}', 'free', 'deleted', now() - interval '90 days',
               now() - interval '90 days', now() - interval '60 days')`,
      [purged],
    );
    await pool.query(`INSERT INTO credit_balances (workspace_id, term_index, term_end, plan_balance, purchased_balance)
                      VALUES ($1, 0, now() - interval '60 days', 0, 0)`, [purged]);
    const res = await call('POST', '/v1/workspaces', { body: workspaceBody(purged) });
    expect([res.status, res.body.error.code]).toEqual([409, 'workspace_deleted']);
    const row = await pool.query(`SELECT status, name FROM workspaces WHERE id = $1`, [purged]);
    expect(row.rows[0]).toEqual({ status: 'deleted', name: 'Gone' });
  });

  it('the Stripe webhook refuses events without a valid Stripe signature', async () => {
    const event = JSON.stringify({ id: 'evt_forged', type: 'payment_intent.succeeded', data: { object: {} } });
    const unsigned = await call('POST', '/v1/stripe/webhook', { token: null, raw: event });
    expect([unsigned.status, unsigned.body.error.code]).toEqual([400, 'invalid_signature']);
    const forged = await call('POST', '/v1/stripe/webhook', { token: null, raw: event, headers: { 'stripe-signature': 't=1,v1=deadbeef' } });
    expect([forged.status, forged.body.error.code]).toEqual([400, 'invalid_signature']);
  });

  it('changed nothing: the workspace and its usage are as before, no refused creation exists', async () => {
    expect((await call('GET', ws)).body).toEqual(viewBefore);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM usage_events WHERE workspace_id = $1`, [id]);
    expect(rows[0]).toEqual({ n: 1 });
    expect((await call('GET', `/v1/workspaces/${(WRITE_BODIES['POST /v1/workspaces'] as { id: string }).id}`)).status).toBe(404);
  });
});

describe('405, messages people read, no coercion of junk', () => {
  it.each([
    ['DELETE', () => ws, 'GET, HEAD'],
    ['PATCH', () => `${ws}/plan`, 'POST'],
    ['GET', () => `${ws}/purchases`, 'POST'],
    ['POST', () => `/v1/invoices/${invoiceId}`, 'GET, HEAD'],
    ['PUT', () => `${ws}/usage`, 'GET, HEAD, POST'],
    // Fastify refuses a QUERY without Content-Type before routing: still a 405 for a known path.
    ['QUERY', () => `${ws}/invoices`, 'GET, HEAD'],
  ])('%s on a path that does not have it -> 405 method_not_allowed with Allow', async (method, url, allow) => {
    const res = await call(method, url(), { body: ['GET', 'DELETE', 'QUERY'].includes(method) ? undefined : {} });
    expectRefusal(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe(allow);
  });

  it('an unknown path stays a 404', async () => {
    expectRefusal(await call('DELETE', '/v1/nothing-here'), 404, 'not_found');
  });

  it.each([
    ['groupBy=feature', () => `${ws}/usage?groupBy=feature`, 'groupBy must be member or day'],
    ['an unknown plan', () => `${ws}/plan`, 'plan must be one of free, pro, growth, enterprise'],
    ['limit=0', () => `${ws}/usage/history?limit=0`, 'limit must be an integer from 1 to 200'],
    ['an unknown query parameter', () => `${ws}/usage?member=alice`, 'member is not a known field'],
    ['a missing field', () => `${ws}/on-demand`, 'monthlyLimit is required'],
  ])('%s: one readable sentence', async (_, url, message) => {
    const [method, body] = url().endsWith('/plan') ? ['POST', { plan: 'platinum' }] : url().endsWith('/on-demand') ? ['PUT', { enabled: true }] : ['GET', undefined];
    const res = await call(method, url(), { body });
    expectRefusal(res, 422, 'validation_failed');
    expect(res.body.error.message).toBe(message);
  });

  it('an action outside the price list is 422 unknown_action naming the actions', async () => {
    const res = await call('POST', `${ws}/usage`, { body: { ...usageBody('u-teleport'), action: 'teleport' } });
    expectRefusal(res, 422, 'unknown_action');
    expect(res.body.error.message).toMatch(/^unknown action 'teleport': action must be one of chat_question, /);
  });

  it.each(['0x10', '1e1', '', '%205', 'true', '5abc', '+5', '2.0'])('limit=%s is not read as a number: 422', async (junk) => {
    const res = await call('GET', `${ws}/usage/history?limit=${junk}`);
    expectRefusal(res, 422, 'validation_failed');
    expect(res.body.error.message).toBe('limit must be an integer');
  });

  it('a number spelled plainly still is one', async () => {
    expect((await call('GET', `${ws}/usage/history?limit=5`)).status).toBe(200);
  });
});

describe('GET /openapi.json', () => {
  type Op = {
    operationId: string;
    summary?: string;
    requestBody?: { content: Record<string, { schema: Record<string, any> }> }; // eslint-disable-line @typescript-eslint/no-explicit-any
    responses: Record<string, { content?: Record<string, { schema: Record<string, any> }>; links?: Record<string, unknown> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const op = async (path: string, method: string): Promise<Op> => (await call('GET', '/openapi.json', { token: null })).body.paths[path][method];

  it('is OpenAPI 3.1 with servers, a unique operationId and a summary per operation, and the Error component', async () => {
    const doc = (await call('GET', '/openapi.json', { token: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
    const ops = Object.values(doc.paths as Record<string, Record<string, Op>>).flatMap((o) => Object.values(o));
    const ids = ops.map((o) => o.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of ops) expect(o.summary, o.operationId).toBeTruthy();
    expect(doc.components.schemas.Error.properties.error.required).toEqual(['code', 'message']);
  });

  it('documents 201 for create and purchase, error codes as enums per status, the PDF as binary', async () => {
    const create = await op('/v1/workspaces', 'post');
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['200', '201', '401', '402', '409', '422', '503']));
    const purchase = await op('/v1/workspaces/{id}/purchases', 'post');
    expect(purchase.responses['201']!.content!['application/json']!.schema.required).toEqual(
      expect.arrayContaining(['invoiceId', 'invoiceNumber', 'subtotalCents', 'taxCents', 'totalCents', 'amountCents']),
    );
    const refusals = purchase.responses['422']!.content!['application/json']!.schema;
    expect(refusals.allOf[0]).toEqual({ $ref: '#/components/schemas/Error' });
    expect(refusals.allOf[1].properties.error.properties.code.enum).toEqual(['payment_method_required', 'validation_failed']);
    const pdf = await op('/v1/invoices/{id}/pdf', 'get');
    expect(pdf.responses['200']!.content).toEqual({ 'application/pdf': { schema: expect.objectContaining({ type: 'string', format: 'binary' }) } });
    expect(pdf.responses['404']).toBeDefined();
  });

  it('has request schemas as strict as the server: enums for plan, action and groupBy, bounds on credits', async () => {
    const body = async (path: string, method: string) => (await op(path, method)).requestBody!.content['application/json']!.schema.properties;
    expect((await body('/v1/workspaces/{id}/plan', 'post')).plan.enum).toEqual(['free', 'pro', 'growth', 'enterprise']);
    expect((await body('/v1/workspaces/{id}/usage', 'post')).action.enum).toContain('ai_assist');
    expect((await body('/v1/workspaces/{id}/purchases', 'post')).credits).toMatchObject({ minimum: 100, maximum: 100_000 });
    const summary = (await call('GET', '/openapi.json', { token: null })).body.paths['/v1/workspaces/{id}/usage'].get;
    const groupBy = summary.parameters.find((p: { name: string }) => p.name === 'groupBy');
    expect(groupBy.schema.enum).toEqual(['member', 'day']);
  });

  it('every operation has a response schema, and create links to the operations its id feeds', async () => {
    const doc = (await call('GET', '/openapi.json', { token: null })).body;
    for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const [m, o] of Object.entries(ops)) {
        const success = Object.entries(o.responses).filter(([s]) => s.startsWith('2'));
        expect(success.length, `${m} ${p}`).toBeGreaterThan(0);
        for (const [s, r] of success) expect(Object.values(r.content ?? {})[0]?.schema, `${m} ${p} ${s}`).toBeDefined();
      }
    }
    const links = (await op('/v1/workspaces', 'post')).responses['201']!.links!;
    expect(links.GetWorkspace).toEqual({ operationId: 'getWorkspace', parameters: { id: '$response.body#/id' } });
    expect(Object.keys(links)).toEqual(expect.arrayContaining(['RecordUsage', 'PurchaseCredits', 'SetPaymentMethod']));
  });


  it('is a valid OpenAPI 3 document listing every route of SPEC section 7', async () => {
    const res = await call('GET', '/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(res.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(res.body.openapi).toMatch(/^3\./);
    const listed = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(listed.sort()).toEqual(expect.arrayContaining(SPEC_ROUTES.map(label).sort()));
  });

  it('marks bearer routes as needing the token and the others as public', async () => {
    const doc = (await call('GET', '/openapi.json', { token: null })).body;
    for (const route of SPEC_ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      const security = op.security ?? doc.security;
      expect(security, label(route)).toEqual(route.bearer ? [{ bearer: [] }] : []);
    }
  });
});
