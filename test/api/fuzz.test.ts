// Fuzzing the HTTP edge (validation and auth) of every route the OpenAPI
// document lists, without Temporal or Stripe: the service's API on this run's
// Postgres (test/helpers/api-app.ts), on Fastify's app.inject, and over a real
// socket to the same app where the bytes on the wire matter (path and query
// as sent, headers over Node's limits, the request line). Its workflows note
// every call and time out (503 still_processing), so a request that gets past
// the edge is seen as such. Random JSON bodies, valid bodies with hostile
// fields, malformed JSON text, wrong content types, bad tokens, odd query
// strings, path parameters and headers, huge bodies, bytes well-behaved
// clients never send.
//
// For every request: no 5xx but the stand-in's 503; every 4xx in the API's
// error shape {"error": {code, message}}; a request that reached the
// workflows carried the full token; and a refused request changed nothing in
// Postgres (every workspace table, for the workspaces this file owns) nor in
// the API's view of them. A failure prints the request; fast-check prints its
// seed and path (replay with FUZZ_SEED and FUZZ_PATH). What the workflows
// decide about requests that pass the edge is fuzzed against the running
// service in test/e2e/fuzz.test.ts.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { issueInvoice } from '../../src/invoices/store';
import { signPayload } from '../../src/stripe-sandbox/webhooks';
import { API_TOKENS, apiOnInject, INJECT_WEBHOOK_SECRET, timingOutWorkflows } from '../helpers/api-app';
import {
  malformedJsonText,
  oddPathSegment,
  oddQuery,
  oddValue,
  randomJsonBody,
  withControlChar,
} from '../helpers/fuzz-arbitraries';
import {
  bodyText,
  brokenBodyRequests,
  cut,
  describeRequest,
  expectErrorShape,
  fill,
  FuzzStats,
  fuzzRequest,
  fuzzRuns,
  JSON_TYPE,
  mayWrite,
  oddHeaderRequests,
  paramValues,
  pick,
  routeNamed,
  routesOf,
  validBody,
  webhookRequests,
  writes,
  type DocRoute,
  type FuzzRequest,
  type FuzzWorld,
} from '../helpers/fuzz-requests';
import { usageBody, type ApiCall } from '../helpers/http';
import { injectClient } from '../helpers/inject-client';
import { createTestWorkspace, testPool } from '../helpers/ledger';
import { rawRequest, type RawAnswer } from '../helpers/raw-http';
import { SPEC_ROUTES } from '../helpers/spec-routes';
import { dbSnapshot, snapshotDiff, type DbSnapshot } from '../helpers/state-snapshot';

// Hundreds of requests per property: generous on a busy 2-core CI machine.
vi.setConfig({ testTimeout: 120_000 });

// Every id this file creates starts with this (other files share the database).
const prefix = `fuzzi-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-`;
const FREE = `${prefix}free`;
const PRO = `${prefix}pro`;
const CANCELLED = `${prefix}cancelled`;
const EXISTING = [FREE, PRO, CANCELLED];
const WEBHOOK = 'POST /v1/stripe/webhook';

const pool = testPool(3);
const workflowCalls: string[] = [];
let app: Awaited<ReturnType<typeof apiOnInject>>;
let socketBase: string;
let call: ApiCall;
let world: FuzzWorld;
let baseline: DbSnapshot;
let viewsBaseline: unknown;
const stats = new FuzzStats();

type Transport = 'inject' | 'socket';

async function send(req: FuzzRequest, via: Transport): Promise<RawAnswer> {
  if (via === 'socket') return rawRequest(socketBase, req, 10_000);
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).filter((h): h is [string, string] => h[1] !== undefined));
  const res = await app.inject({ method: req.method as 'GET', url: req.target, headers, ...(req.body !== undefined ? { payload: req.body } : {}) });
  const answered = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
  return { status: res.statusCode, headers: answered, text: res.payload };
}

/** Sends one request and checks the answer, what reached the workflows, and that a refusal changed nothing. */
async function exchange(req: FuzzRequest, via: Transport = 'inject'): Promise<RawAnswer> {
  const what = `${describeRequest(req)} (${via})`;
  const callsBefore = workflowCalls.length;
  const res = await send(req, via);
  stats.count(req, res);
  const reached = workflowCalls.length > callsBefore;
  const code = res.status >= 400 && req.method !== 'HEAD' ? (JSON.parse(res.text) as { error?: { code?: string } }).error?.code : undefined;

  if (reached) {
    // The stand-in's answer; only the full token gets a request this far (the webhook is signed instead).
    expect([res.status, code], `${what}\n-> ${cut(res.text, 500)}`).toEqual([503, req.route === WEBHOOK ? 'signal_failed' : 'still_processing']);
    if (req.route !== WEBHOOK) expect(req.headers?.authorization, `${what}: reached the workflows`).toBe(`Bearer ${API_TOKENS.api}`);
  } else {
    expect(res.status, `${what}\n-> ${res.status} ${cut(res.text, 500)}`).toBeLessThan(500);
  }
  if (res.status >= 400) expectErrorShape(req, res, what);

  // The webhook records an event before it signals the workflow (Stripe's redelivery then finds it).
  if (mayWrite(req, res) || (reached && req.route === WEBHOOK)) {
    stats.accepted++;
    baseline = await dbSnapshot(pool, prefix);
    viewsBaseline = await views();
  } else {
    const diff = snapshotDiff(baseline, await dbSnapshot(pool, prefix));
    if (Object.keys(diff).length > 0) {
      baseline = await dbSnapshot(pool, prefix);
      throw new Error(`${what}\n-> ${res.status} ${cut(res.text)}\nwas refused, yet stored state changed: ${cut(JSON.stringify(diff), 4000)}`);
    }
  }
  return res;
}

/** A webhook carrying `event`, signed with the API's secret. */
function webhookEvent(event: unknown): FuzzRequest {
  const payload = JSON.stringify(event);
  return { route: WEBHOOK, method: 'POST', target: '/v1/stripe/webhook', headers: { ...JSON_TYPE, 'stripe-signature': signPayload(payload, INJECT_WEBHOOK_SECRET) }, body: payload };
}

/** The API's view of each owned workspace: compared around each batch. */
async function views(): Promise<Record<string, unknown>> {
  const api: Record<string, unknown> = {};
  for (const id of EXISTING) api[id] = (await call('GET', `/v1/workspaces/${id}`)).body;
  return api;
}

/** Runs a property (plus a check of its own per answer); afterwards the API's views are as after the last accepted write. */
async function fuzz(arb: fc.Arbitrary<FuzzRequest>, numRuns: number, opts: { via?: Transport; check?: (req: FuzzRequest, res: RawAnswer) => void } = {}): Promise<void> {
  viewsBaseline = await views();
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const res = await exchange(req, opts.via);
      opts.check?.(req, res);
    }),
    fuzzRuns(numRuns),
  );
  expect(await views(), 'the workspaces as the API shows them').toEqual(viewsBaseline);
}

beforeAll(async () => {
  app = await apiOnInject(pool, timingOutWorkflows(workflowCalls));
  socketBase = await app.listen({ port: 0, host: '127.0.0.1' });
  call = injectClient(app, API_TOKENS.api);

  // A free workspace with usage and a disabled feature; a pro one with purchased credits, on-demand and an invoice; a cancelled one.
  const now = Date.now();
  const term = { termStart: now - 86_400_000, termEnd: now + 29 * 86_400_000 };
  await createTestWorkspace(pool, { id: FREE, disabledFeatures: ['reports'], ...term });
  expect((await call('POST', `/v1/workspaces/${FREE}/usage`, { body: usageBody('seed-usage') })).status).toBe(200);
  await createTestWorkspace(pool, { id: PRO, plan: 'pro', planCredits: 100, planPriceCents: 2900, purchased: 100, onDemand: { enabled: true, monthlyLimit: 50 }, ...term });
  const invoice = await issueInvoice(pool, loadPricing(), { name: 'Fuzz Inc.', address: [] }, {
    key: `purchase:${PRO}:seed-buy`,
    workspaceId: PRO,
    kind: 'credit_purchase',
    periodStart: term.termStart,
    periodEnd: term.termEnd,
    issuedAt: now,
    purchase: { credits: 100 },
  });
  await createTestWorkspace(pool, { id: CANCELLED, status: 'cancelled', ...term });

  const routes: DocRoute[] = routesOf((await call('GET', '/openapi.json', { token: null })).body);
  world = { prefix, existing: EXISTING, unknown: `${prefix}missing`, invoiceId: invoice.id, tokens: API_TOKENS, webhookSecret: INJECT_WEBHOOK_SECRET, routes };
  baseline = await dbSnapshot(pool, prefix);
});

afterAll(() => {
  if (stats.requests > 0) console.log(`${stats.summary('fuzz (edge)')}; ${workflowCalls.length} reached the workflows`);
});

describe('fuzzing the edge of every route (app.inject)', () => {
  it('the OpenAPI document lists the routes of SPEC section 7 (the ones fuzzed below)', () => {
    const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    expect(world.routes.map(label).sort()).toEqual(expect.arrayContaining(SPEC_ROUTES.map(label)));
  });

  it('the valid request of every write route gets past the edge (to the workflows, or usage to the ledger): what the properties break is valid', async () => {
    for (const route of world.routes.filter(writes)) {
      const asked = workflowCalls.length;
      const req =
        route.label === WEBHOOK
          ? webhookEvent({ id: `evt_${prefix.replace(/-/g, '_')}valid`, type: 'payment_intent.succeeded', data: { object: { id: 'pi_valid', metadata: { workspace_id: PRO, invoice_id: world.invoiceId } } } })
          : fuzzRequest(world, route, fill(route, { id: PRO, feature: 'chat' }), { headers: JSON_TYPE, body: bodyText(validBody(world, route)) });
      const res = await exchange(req);
      if (route.label === 'POST /v1/workspaces/{id}/usage') expect(res.status, route.label).toBe(200);
      else expect(workflowCalls.length, `${route.label} -> ${res.status} ${cut(res.text)}`).toBe(asked + 1);
    }
  });

  it('random JSON bodies of any shape (objects, arrays, scalars, deep nesting, known keys with odd values)', async () => {
    const arb = pick(world).chain((route) => {
      const keys = ['id', 'name', 'plan', 'enterprise', 'paymentMethod', 'credits', 'idempotencyKey', 'enabled', 'monthlyLimit', 'memberId', 'action', 'feature', 'tokens', 'alreadyPerformed', 'billingAddress', 'type', 'data'];
      const body = fc.oneof(randomJsonBody, fc.dictionary(fc.constantFrom(...keys), oddValue, { minKeys: 1 }));
      return fc.tuple(paramValues(world, route), body).map(([params, value]) => fuzzRequest(world, route, fill(route, params), { headers: JSON_TYPE, body: bodyText(value) }));
    });
    await fuzz(arb, 200);
  });

  it('valid bodies with one to three fields broken: odd values, missing fields, unknown fields, odd number literals', async () => {
    await fuzz(brokenBodyRequests(world), 250);
  });

  it('malformed JSON text and bytes that are not UTF-8', async () => {
    const arb = pick(world, writes).chain((route) =>
      fc.tuple(paramValues(world, route), malformedJsonText(bodyText(validBody(world, route)))).map(([params, text]) => fuzzRequest(world, route, fill(route, params), { headers: JSON_TYPE, body: text })),
    );
    await fuzz(arb, 150);
  });

  it('valid bodies with a wrong, odd or missing Content-Type', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        undefined, '', 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
        'multipart/form-data', 'application/xml', 'text/json', 'application/jsonx', 'application/json-patch+json', 'application/octet-stream',
        'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/json;;', 'application/json; boundary="',
        '*/*', 'application/*', 'json', '/', ';', 'application/json, text/plain', 'image/png', 'APPLICATION/X-WWW-FORM-URLENCODED',
      ),
      fc.string({ unit: 'binary-ascii', maxLength: 40 }).filter((s) => !/[\r\n]/.test(s)),
    );
    const arb = pick(world, writes).chain((route) =>
      fc.tuple(paramValues(world, route), contentType, fc.boolean()).map(([params, type, form]) => {
        const body = validBody(world, route) as Record<string, unknown>;
        const text = form ? new URLSearchParams(Object.entries(body ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString() : bodyText(body);
        return fuzzRequest(world, route, fill(route, params), { headers: { 'content-type': type }, body: text });
      }),
    );
    await fuzz(arb, 150);
  });

  it('missing, malformed and wrong bearer tokens: 401 (403 for the read token on a write), whatever the body', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 80 });
    const authorization = fc.oneof(
      fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Token abc', 'null', 'Bearer null', 'Bearer undefined', 'Bearer \u00e9\u00e8'),
      fc.constantFrom('missing-char', 'extra-char', 'no-scheme', 'other-scheme', 'two-tokens', 'read-token', 'upper-case'),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Digest', ''), printable).map(([scheme, t]) => `${scheme} ${t}`),
      fc.integer({ min: 1000, max: 12_000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
    );
    const { api, read } = API_TOKENS;
    const mangled: Record<string, string> = {
      'missing-char': `Bearer ${api.slice(0, -1)}`,
      'extra-char': `Bearer ${api}x`,
      'no-scheme': api,
      'other-scheme': `Basic ${api}`,
      'two-tokens': `Bearer ${api} ${api}`,
      'read-token': `Bearer ${read}`,
      'upper-case': `Bearer ${api.toUpperCase()}`,
    };
    const arb = pick(world, (r) => r.bearer).chain((route) =>
      fc.tuple(paramValues(world, route), authorization).map(([params, auth]) => {
        const body = validBody(world, route);
        const req = fuzzRequest(world, route, fill(route, params), body === undefined ? {} : { headers: JSON_TYPE, body: bodyText(body) });
        return { ...req, headers: { ...req.headers, authorization: mangled[auth ?? ''] ?? auth } };
      }),
    );
    await fuzz(arb, 250, {
      check: (req, res) => {
        const readToken = req.headers?.authorization === `Bearer ${read}`;
        const code = res.status >= 400 ? (JSON.parse(res.text) as { error: { code: string } }).error.code : undefined;
        // The read token reads (whatever the answer then is), and is refused on writes.
        if (readToken && req.method === 'GET') expect(res.status, describeRequest(req)).not.toBeOneOf([401, 403]);
        else expect([res.status, code], describeRequest(req)).toEqual(readToken ? [403, 'forbidden'] : [401, 'unauthorized']);
      },
    });
  });

  it('other methods on every path (HEAD, OPTIONS, PATCH, DELETE, TRACE, made-up ones)', async () => {
    const arb = fc
      .tuple(pick(world), fc.constantFrom('HEAD', 'OPTIONS', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'GET', 'POST', 'PUT'))
      .chain(([route, method]) => paramValues(world, route).map((params) => ({ ...fuzzRequest(world, route, fill(route, params), { headers: JSON_TYPE, body: '{}' }), method })));
    await fuzz(arb, 100);
  });

  it('Stripe webhooks: unsigned, forged, stale and correctly signed events with odd contents', async () => {
    await fuzz(webhookRequests(world), 200);
  });
});

describe('fuzzing what only the wire carries (a real socket to the same app)', () => {
  it('unknown, repeated and odd query parameters on every route', async () => {
    const arb = pick(world).chain((route) =>
      fc.tuple(paramValues(world, route), oddQuery(route.queryKeys.length ? route.queryKeys : ['limit'])).map(([params, query]) => {
        // Writes read no query string: a body with an unknown field keeps them refused (and cheap).
        const body = route.method === 'GET' ? undefined : { ...(validBody(world, route) as object), unexpected: true };
        return fuzzRequest(world, route, `${fill(route, params)}?${query}`, body === undefined ? {} : { headers: JSON_TYPE, body: bodyText(body) });
      }),
    );
    await fuzz(arb, 150, { via: 'socket' });
  });

  it('path parameters with odd characters (%00, ../, unicode, malformed escapes, 10k characters)', async () => {
    const arb = pick(world, (r) => r.path.includes('{')).chain((route) =>
      fc.tuple(paramValues(world, route), fc.constantFrom('id', 'feature'), oddPathSegment).map(([params, which, segment]) => {
        const target = route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === which || !route.path.includes(`{${which}}`) ? segment : encodeURIComponent(params[name]!)));
        const body = validBody(world, route);
        return fuzzRequest(world, route, target, body === undefined ? {} : { headers: JSON_TYPE, body: bodyText(body) });
      }),
    );
    await fuzz(arb, 150, { via: 'socket' });
  });

  it('odd headers: Idempotency-Key of any length and content, request ids, encodings, a second Content-Type or Authorization', async () => {
    await fuzz(oddHeaderRequests(world), 150, { via: 'socket' });
  });

  it('very long ids in the path, Idempotency-Key and Authorization headers (up to and beyond the header limit)', async () => {
    const plan = routeNamed(world, 'POST /v1/workspaces/{id}/plan');
    const get = routeNamed(world, 'GET /v1/workspaces/{id}');
    for (const n of [100, 1_000, 10_000, 15_000, 20_000, 70_000]) {
      await exchange(fuzzRequest(world, get, `/v1/workspaces/${'w'.repeat(n)}`), 'socket');
      await exchange(fuzzRequest(world, plan, `/v1/workspaces/${FREE}/plan`, { headers: { ...JSON_TYPE, 'idempotency-key': 'k'.repeat(n) }, body: '{"plan":"free"}' }), 'socket');
      await exchange({ ...fuzzRequest(world, get, `/v1/workspaces/${FREE}`), headers: { authorization: `Bearer ${'t'.repeat(n)}` } }, 'socket');
      await exchange(fuzzRequest(world, get, `/v1/workspaces/${FREE}?${'q'.repeat(n)}=1`), 'socket');
    }
  });

  it('raw bytes well-behaved clients never send: control characters, spaces and UTF-8 in the request line and headers', async () => {
    const get = routeNamed(world, 'GET /v1/workspaces/{id}');
    const usage = routeNamed(world, 'POST /v1/workspaces/{id}/usage');
    const targets = ['/v1/workspaces/é', '/v1/workspaces/a b', '/v1/workspaces/a\u0001b', '/v1/workspaces/\u0000', '/v1/workspaces/🙂/export', '/v1/../v1/workspaces/x', 'v1/workspaces', '*', 'http://evil.example/v1/workspaces/x', '/v1/workspaces/a\tb'];
    for (const target of targets) await exchange(fuzzRequest(world, get, target), 'socket');
    await fc.assert(
      fc.asyncProperty(withControlChar, fc.constantFrom('idempotency-key', 'authorization', 'content-type', 'x-request-id'), async (value, name) => {
        const headers = { ...JSON_TYPE, [name]: name === 'authorization' ? `Bearer ${API_TOKENS.api}${value}` : value };
        await exchange(fuzzRequest(world, usage, `/v1/workspaces/${FREE}/usage`, { headers, body: bodyText(validBody(world, usage)) }), 'socket');
      }),
      fuzzRuns(40),
    );
  });
});

describe('huge requests', () => {
  const big = (bytes: number) => JSON.stringify({ name: 'x'.repeat(bytes) });

  it('2 MB and 5 MB bodies to every route that reads one: 413, nothing written', async () => {
    for (const route of world.routes.filter(writes)) {
      for (const size of [2_000_000, 5_000_000]) {
        const res = await exchange(fuzzRequest(world, route, fill(route, { id: FREE, feature: 'chat' }), { headers: JSON_TYPE, body: big(size) }));
        expect([res.status, JSON.parse(res.text).error.code], route.label).toEqual([413, 'body_too_large']);
      }
    }
  });

  it('a 100k-character string field (413) and a 60k one (422, too long)', async () => {
    for (const [length, status] of [[100_000, 413], [60_000, 422]] as const) {
      for (const field of ['name', 'memberId', 'idempotencyKey']) {
        const route = routeNamed(world, field === 'name' ? 'POST /v1/workspaces' : 'POST /v1/workspaces/{id}/usage');
        const body = { ...(validBody(world, route) as object), [field]: 'y'.repeat(length) };
        const res = await exchange(fuzzRequest(world, route, fill(route, { id: PRO }), { headers: JSON_TYPE, body: bodyText(body) }));
        expect(res.status, `${field} of ${length}`).toBe(status);
      }
    }
  });
});

describe('regressions found by the fuzzing', () => {
  // These were accepted, then the workflow's activity failed on them forever (Postgres refuses NUL; the price
  // overflowed an integer column): the request never got an answer and the workspace's workflow was stuck.
  const enterprise = (monthlyPriceCents: number) => ({ monthlyCredits: 10, monthlyPriceCents });
  const newId = () => `${prefix}r${Math.random().toString(36).slice(2, 8)}`;
  const workspace = (overrides: Record<string, unknown>) => () => ({ ...(validBody(world, routeNamed(world, 'POST /v1/workspaces')) as object), id: newId(), ...overrides });
  it.each([
    ['a NUL in the name', 'POST /v1/workspaces', workspace({ name: 'a\u0000b' })],
    ['a control character in the city', 'POST /v1/workspaces', workspace({ billingAddress: { country: 'US', city: 'x\u0000' } })],
    ['a control character in line1', 'POST /v1/workspaces', workspace({ billingAddress: { country: 'US', line1: 'a\u0007' } })],
    ['a control character in the postal code', 'POST /v1/workspaces', workspace({ billingAddress: { country: 'US', postalCode: '\u001b1' } })],
    ['enterprise at $30M a month', 'POST /v1/workspaces', workspace({ plan: 'enterprise', enterprise: enterprise(3_000_000_000), paymentMethod: 'pm_card_visa' })],
    ['a NUL in a purchase key', 'POST /v1/workspaces/{id}/purchases', () => ({ credits: 100, idempotencyKey: 'k\u0000' })],
    ['enterprise at $30M a month', 'POST /v1/workspaces/{id}/plan', () => ({ plan: 'enterprise', enterprise: enterprise(3_000_000_000) })],
    ['enterprise above one Stripe charge', 'POST /v1/workspaces/{id}/plan', () => ({ plan: 'enterprise', enterprise: enterprise(100_000_000) })],
  ])('%s (%s): 422 at the edge, the workflow never asked, nothing written', async (_what, label, body) => {
    const route = routeNamed(world, label);
    const res = await exchange(fuzzRequest(world, route, fill(route, { id: PRO }), { headers: JSON_TYPE, body: bodyText(body()) }));
    expect([res.status, JSON.parse(res.text).error.code]).toEqual([422, 'validation_failed']);
  });

  it('cancel and resume refuse a body other than none or {} with 422 (a cancel with options was carried out without them)', async () => {
    for (const action of ['cancel', 'resume']) {
      const route = routeNamed(world, `POST /v1/workspaces/{id}/${action}`);
      for (const body of ['{"immediately":true}', '{"atPeriodEnd":false}', '[]', 'null', '"now"', '0']) {
        const res = await exchange(fuzzRequest(world, route, `/v1/workspaces/${PRO}/${action}`, { headers: JSON_TYPE, body }));
        expect([res.status, JSON.parse(res.text).error.code], `${action} ${body}`).toEqual([422, 'validation_failed']);
      }
      // No body and an empty object pass the edge: the workflow is asked.
      for (const body of [undefined, '{}']) {
        const asked = workflowCalls.length;
        await exchange(fuzzRequest(world, route, `/v1/workspaces/${PRO}/${action}`, body === undefined ? {} : { headers: JSON_TYPE, body }));
        expect(workflowCalls.slice(asked), `${action} with ${body ?? 'no body'}`).toEqual([action]);
      }
    }
  });
});

describe('after the fuzzing', () => {
  it('every route was fuzzed, requests got past the edge on every route that asks the workflows, and nothing refused changed anything', async () => {
    for (const route of world.routes) expect(stats.byRoute.get(route.label) ?? 0, route.label).toBeGreaterThanOrEqual(10);
    expect(new Set(workflowCalls)).toEqual(new Set(['createWorkspace', 'changePlan', 'cancel', 'resume', 'setPaymentMethod', 'purchaseCredits', 'setOnDemand', 'setLowBalanceThreshold', 'setFeature', 'signalPayment']));
    expect(snapshotDiff(baseline, await dbSnapshot(pool, prefix))).toEqual({});
  });
});
