// Fuzzing the HTTP API over real HTTP against the running service (Temporal
// dev server, Stripe sandbox, Postgres), the way contract.test.ts runs it.
// Every route the OpenAPI document lists gets random and malformed requests:
// random JSON bodies, valid bodies with hostile fields, malformed JSON text,
// wrong content types, bad tokens, odd query strings and path parameters,
// huge bodies and headers, bytes well-behaved clients never send.
//
// For every request: no 5xx; every 4xx is JSON in the API's error shape
// {"error": {code, message}}; and a refused request changes nothing: the rows
// of every workspace table for the workspaces this file owns (ids starting
// with its prefix) are compared with the state before, and around each batch
// the API's view and the workflows' state too. A failure prints the request;
// fast-check prints its seed and path (replay with FUZZ_SEED and FUZZ_PATH).
import { WorkflowNotFoundError } from '@temporalio/client';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { signPayload } from '../../src/stripe-sandbox/webhooks';
import { workflowIdFor } from '../../workflows/definitions';
import {
  malformedJsonText,
  oddNumberLiteral,
  oddPathSegment,
  oddQuery,
  oddString,
  oddValue,
  randomJsonBody,
  withControlChar,
} from '../helpers/fuzz-arbitraries';
import { apiClient, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { rawRequest, type RawAnswer, type RawRequest } from '../helpers/raw-http';
import { SPEC_ROUTES } from '../helpers/spec-routes';
import { startStack, type Stack } from '../helpers/stack';
import { dbSnapshot, settledSnapshot, snapshotDiff, workflowStates, type DbSnapshot } from '../helpers/state-snapshot';

// Hundreds of requests per property, some reaching Temporal: generous on a busy 2-core CI machine.
vi.setConfig({ testTimeout: 180_000 });

// Every id this file creates starts with this (other files share the database).
const prefix = `fuzz-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-`;
const FREE = `${prefix}free`;
const PRO = `${prefix}pro`;
const CANCELLING = `${prefix}cancelling`;
const UNKNOWN = `${prefix}missing`;
const EXISTING = [FREE, PRO, CANCELLING];

let stack: Stack;
let call: ApiCall;
let pool: Pool;
let invoiceId: string;
let routes: DocRoute[];
let baseline: DbSnapshot;
let viewsBaseline: Awaited<ReturnType<typeof views>>;
let seq = 0;
const next = (what: string) => `${prefix}${what}${++seq}`;

const runs = (n: number) => ({
  numRuns: n,
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
});

interface DocRoute {
  method: string;
  /** OpenAPI path template, e.g. /v1/workspaces/{id}/features/{feature}. */
  path: string;
  label: string;
  bearer: boolean;
  queryKeys: string[];
}

/** The routes of the OpenAPI document the service serves. */
function routesOf(doc: { paths: Record<string, Record<string, OpenApiOperation>>; security?: unknown[] }): DocRoute[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      label: `${method.toUpperCase()} ${path}`,
      bearer: (op.security ?? doc.security ?? []).length > 0,
      queryKeys: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
}
interface OpenApiOperation {
  security?: unknown[];
  parameters?: Array<{ in: string; name: string }>;
}

// ---------------------------------------------------------------------------
// Valid requests per route, which the properties then break.

const token = () => ({ authorization: `Bearer ${stack.tokens.api}` });
const json = { 'content-type': 'application/json' };

/** A valid body for each route that takes one (a fresh id or key where the route needs one); `variant` 3: enterprise terms. */
function validBody(route: DocRoute, variant = 0): unknown {
  const enterprise = { monthlyCredits: 10, monthlyPriceCents: 0 };
  switch (route.label) {
    case 'POST /v1/workspaces':
      return workspaceBody(next('new'), variant === 3 ? { plan: 'enterprise', enterprise, paymentMethod: 'pm_card_visa' } : {});
    case 'POST /v1/workspaces/{id}/plan':
      return variant === 3 ? { plan: 'enterprise', enterprise } : { plan: 'free' };
    case 'PUT /v1/workspaces/{id}/payment-method':
      return { paymentMethod: 'pm_card_mastercard' };
    case 'POST /v1/workspaces/{id}/purchases':
      return { credits: 100, idempotencyKey: next('buy') };
    case 'PUT /v1/workspaces/{id}/on-demand':
      return { enabled: true, monthlyLimit: 50 };
    case 'PUT /v1/workspaces/{id}/features/{feature}':
      return { enabled: false };
    case 'PUT /v1/workspaces/{id}/low-balance':
      return { threshold: variant === 3 ? null : 10 };
    case 'POST /v1/workspaces/{id}/usage':
      return usageBody(next('use'));
    case 'POST /v1/stripe/webhook':
      return { id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } };
    default:
      return route.method === 'GET' ? undefined : {};
  }
}

/** Path parameters: existing workspaces and invoice mostly, an unknown (well-formed) one sometimes. */
function paramValues(route: DocRoute): fc.Arbitrary<Record<string, string>> {
  const id = route.path.startsWith('/v1/invoices/')
    ? fc.constantFrom(invoiceId, invoiceId, randomUUID())
    : fc.constantFrom(...EXISTING, UNKNOWN);
  return fc.record({ id, feature: fc.constantFrom('chat', 'reports', 'ai.assist') });
}

const fill = (route: DocRoute, params: Record<string, string>) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? 'x'));

/** Replaces `"@@raw:N@@"` placeholders by raw literals (numbers JSON.stringify cannot write). */
const RAW = (n: number) => `@@raw:${n}@@`;
function bodyText(body: unknown, rawLiterals: string[] = []): string {
  let text = JSON.stringify(body) ?? 'null';
  rawLiterals.forEach((literal, n) => (text = text.replace(JSON.stringify(RAW(n)), literal)));
  return text;
}

interface FuzzRequest extends RawRequest {
  route: string;
}

function request(route: DocRoute, target: string, opts: { headers?: Record<string, string | undefined>; body?: string | Buffer } = {}): FuzzRequest {
  return { route: route.label, method: route.method, target, headers: { ...token(), ...opts.headers }, ...(opts.body !== undefined ? { body: opts.body } : {}) };
}

// ---------------------------------------------------------------------------
// Sending one request and checking the answer and the state.

const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);
function describeRequest(req: FuzzRequest): string {
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k, v === undefined ? v : cut(v, 120)]));
  const body = req.body === undefined ? 'none' : Buffer.isBuffer(req.body) ? `<${req.body.length} bytes> ${cut(req.body.toString('hex'), 120)}` : cut(JSON.stringify(req.body));
  return `${req.method} ${cut(JSON.stringify(req.target), 200)} headers=${JSON.stringify(headers)} body=${body}`;
}

const stats = { requests: 0, accepted: 0, byRoute: new Map<string, number>(), byStatus: new Map<number, number>() };
const refusedCreates: string[] = [];

/** Answers that may legitimately write: accepted writes, and refusals the rules say leave a record. */
function mayWrite(req: FuzzRequest, res: RawAnswer): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  if (res.status < 300) return true;
  // A declined payment voids the invoice it issued; the first refusal for credits emits credits.exhausted.
  return res.status === 402 && /"code":"(payment_failed|credit_limit_reached)"/.test(res.text);
}

function expectErrorShape(req: FuzzRequest, res: RawAnswer, what: string): void {
  if (req.method === 'HEAD') return; // no body by definition
  expect(res.headers['content-type'] ?? '', `${what}: content type of the ${res.status}`).toMatch(/^application\/json/);
  let body: { error?: { code?: unknown; message?: unknown } };
  try {
    body = JSON.parse(res.text) as typeof body;
  } catch {
    throw new Error(`${what}\n-> ${res.status} with a body that is not JSON: ${cut(res.text)}`);
  }
  expect(body, what).toEqual({ error: expect.objectContaining({ code: expect.stringMatching(/^[a-z][a-z_]*$/), message: expect.any(String) }) });
  expect((body.error!.message as string).trim().length, `${what}: a clear message`).toBeGreaterThan(10);
}

async function exchange(req: FuzzRequest): Promise<RawAnswer> {
  const what = describeRequest(req);
  // Nothing legitimate takes 10 s; a request left waiting (a workflow stuck on data it cannot store) fails here.
  const res = await rawRequest(stack.api, req, 10_000);
  stats.requests++;
  stats.byRoute.set(req.route, (stats.byRoute.get(req.route) ?? 0) + 1);
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);

  expect(res.status, `${what}\n-> ${res.status} ${cut(res.text, 500)}`).toBeLessThan(500);
  if (res.status >= 400) expectErrorShape(req, res, what);

  if (req.route === 'POST /v1/workspaces' && res.status >= 400 && typeof req.body === 'string') {
    const id = /"id":"([^"]+)"/.exec(req.body)?.[1];
    if (id?.startsWith(prefix) && !EXISTING.includes(id)) refusedCreates.push(id);
  }

  if (mayWrite(req, res)) {
    stats.accepted++;
    baseline = await settledSnapshot(pool, stack.client, prefix);
    viewsBaseline = await views();
  } else {
    const diff = snapshotDiff(baseline, await dbSnapshot(pool, prefix));
    if (Object.keys(diff).length > 0) {
      baseline = await settledSnapshot(pool, stack.client, prefix);
      throw new Error(`${what}\n-> ${res.status} ${cut(res.text)}\nwas refused, yet stored state changed: ${cut(JSON.stringify(diff), 4000)}`);
    }
  }
  return res;
}

/** The API's view of each owned workspace and its workflow's state: compared around each batch. */
async function views() {
  const api: Record<string, unknown> = {};
  for (const id of EXISTING) api[id] = (await call('GET', `/v1/workspaces/${id}`)).body;
  return { api, workflows: await workflowStates(stack.service.workflows, EXISTING) };
}

/**
 * Runs a property (plus a check of its own per answer). Afterwards the API's
 * views and the workflows' state must be as they were after the last accepted
 * write (or before the batch): the refusals since changed nothing there either.
 */
async function fuzz(arb: fc.Arbitrary<FuzzRequest>, numRuns: number, check?: (req: FuzzRequest, res: RawAnswer) => void): Promise<void> {
  viewsBaseline = await views();
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const res = await exchange(req);
      check?.(req, res);
    }),
    runs(numRuns),
  );
  expect(await views(), 'the workspaces as the API and their workflows show them').toEqual(viewsBaseline);
}

// ---------------------------------------------------------------------------

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
  pool = createPool(inject('databaseUrl'), 3);

  const ok = async (method: string, url: string, body: unknown, status = 200) => {
    const res = await call(method, url, { body });
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBe(status);
    return res.body;
  };
  // A free workspace with usage and a disabled feature; a pro one with a card, a purchase and on-demand; one cancelling.
  await ok('POST', '/v1/workspaces', workspaceBody(FREE), 201);
  await ok('PUT', `/v1/workspaces/${FREE}/features/reports`, { enabled: false });
  await ok('POST', `/v1/workspaces/${FREE}/usage`, usageBody('seed-usage'));
  await ok('POST', '/v1/workspaces', workspaceBody(PRO, { plan: 'pro', paymentMethod: 'pm_card_visa' }), 201);
  invoiceId = (await ok('POST', `/v1/workspaces/${PRO}/purchases`, { credits: 100, idempotencyKey: 'seed-buy' }, 201)).invoiceId;
  await ok('PUT', `/v1/workspaces/${PRO}/on-demand`, { enabled: true, monthlyLimit: 50 });
  await ok('POST', `/v1/workspaces/${PRO}/usage`, usageBody('seed-usage'));
  await ok('POST', '/v1/workspaces', workspaceBody(CANCELLING), 201);
  await ok('POST', `/v1/workspaces/${CANCELLING}/cancel`, undefined);

  routes = routesOf((await call('GET', '/openapi.json', { token: null })).body);
  baseline = await settledSnapshot(pool, stack.client, prefix);
});

afterAll(async () => {
  if (stats.requests > 0) {
    const byStatus = [...stats.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(' ');
    console.log(`fuzz: ${stats.requests} requests, ${stats.accepted} accepted writes; statuses ${byStatus}`);
  }
  await pool?.end();
  await stack?.stop();
});

const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const pick = (filter: (r: DocRoute) => boolean = () => true) => fc.constantFrom(...routes.filter(filter));
const writes = (r: DocRoute) => r.method !== 'GET';

describe('fuzzing every route of the API', () => {
  it('the OpenAPI document lists the routes of SPEC section 7 (the ones fuzzed below)', () => {
    expect(routes.map(label).sort()).toEqual(expect.arrayContaining(SPEC_ROUTES.map(label)));
  });

  it('random JSON bodies of any shape (objects, arrays, scalars, deep nesting, known keys with odd values)', async () => {
    const arb = pick().chain((route) => {
      const keys = ['id', 'name', 'plan', 'enterprise', 'paymentMethod', 'credits', 'idempotencyKey', 'enabled', 'monthlyLimit', 'memberId', 'action', 'feature', 'tokens', 'alreadyPerformed', 'billingAddress', 'type', 'data'];
      const body = fc.oneof(randomJsonBody, fc.dictionary(fc.constantFrom(...keys), oddValue, { minKeys: 1 }));
      return fc.tuple(paramValues(route), body).map(([params, value]) => request(route, fill(route, params), { headers: json, body: bodyText(value) }));
    });
    await fuzz(arb, 150);
  });

  it('valid bodies with one to three fields broken: odd values, missing fields, unknown fields, odd number literals', async () => {
    type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'extra'; key: string; value: unknown } | { kind: 'raw'; literal: string };
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      { arbitrary: oddValue.map((value) => ({ kind: 'set' as const, value })), weight: 5 },
      { arbitrary: fc.constant({ kind: 'delete' as const }), weight: 1 },
      { arbitrary: fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), oddValue).map(([key, value]) => ({ kind: 'extra' as const, key, value })), weight: 2 },
      { arbitrary: oddNumberLiteral.map((literal) => ({ kind: 'raw' as const, literal })), weight: 2 },
    );
    const arb = pick((r) => writes(r) && r.label !== 'POST /v1/stripe/webhook').chain((route) =>
      fc.tuple(paramValues(route), fc.nat(3), fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 })).map(([params, variant, mutations]) => {
        const body = validBody(route, variant) as Record<string, unknown>;
        const original = bodyText(body);
        const raw: string[] = [];
        for (const [n, m] of mutations) {
          // Every field, nested ones too (billingAddress.country), and the body itself.
          const paths: string[][] = [[]];
          const walk = (obj: Record<string, unknown>, at: string[]) => {
            for (const [k, v] of Object.entries(obj)) {
              paths.push([...at, k]);
              if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, [...at, k]);
            }
          };
          walk(body, []);
          const path = paths[n % paths.length]!;
          const parent = path.slice(0, -1).reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, body);
          const key = path[path.length - 1];
          if (m.kind === 'extra') {
            const target = key && parent[key] && typeof parent[key] === 'object' ? (parent[key] as Record<string, unknown>) : body;
            // defineProperty: `__proto__` becomes an own key, sent as such.
            Object.defineProperty(target, Object.hasOwn(target, m.key) ? `${m.key}_x` : m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
          } else if (key === undefined) {
            continue; // the body itself: covered by the random-bodies property
          } else if (m.kind === 'delete') {
            delete parent[key];
          } else {
            // A new workspace's id keeps the prefix, so whatever it creates stays inside what this file checks.
            const value = m.kind === 'raw' ? RAW(raw.push(m.literal) - 1) : m.value;
            parent[key] = route.label === 'POST /v1/workspaces' && path.join('.') === 'id' && typeof value === 'string' ? `${prefix}${value}` : value;
          }
        }
        // Mutations that changed nothing (the same value again, the body itself) still leave a valid body: add a field.
        if (bodyText(body, raw) === original) body.unexpected = true;
        return request(route, fill(route, params), { headers: json, body: bodyText(body, raw) });
      }),
    );
    await fuzz(arb, 150);
  });

  it('malformed JSON text and bytes that are not UTF-8', async () => {
    const arb = pick(writes).chain((route) =>
      fc.tuple(paramValues(route), malformedJsonText(bodyText(validBody(route)))).map(([params, text]) => request(route, fill(route, params), { headers: json, body: text })),
    );
    await fuzz(arb, 120);
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
    const arb = pick(writes).chain((route) =>
      fc.tuple(paramValues(route), contentType, fc.boolean()).map(([params, type, form]) => {
        const body = validBody(route) as Record<string, unknown>;
        const text = form ? new URLSearchParams(Object.entries(body ?? {}).map(([k, v]): [string, string] => [k, String(v)])).toString() : bodyText(body);
        return request(route, fill(route, params), { headers: { 'content-type': type }, body: text });
      }),
    );
    await fuzz(arb, 120);
  });

  it('missing, malformed and wrong bearer tokens: 401 (403 for the read token on a write), whatever the body', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 80 });
    const authorization = fc.oneof(
      fc.constantFrom(undefined, '', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'Token abc', 'null', 'Bearer null', 'Bearer undefined', 'Bearer \u00e9\u00e8'),
      fc.constantFrom('missing-char', 'extra-char', 'no-scheme', 'other-scheme', 'two-tokens', 'read-token', 'upper-case'),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'Basic', 'Digest', ''), printable).map(([scheme, t]) => `${scheme} ${t}`),
      fc.integer({ min: 1000, max: 12_000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
    );
    const arb = pick((r) => r.bearer).chain((route) =>
      fc.tuple(paramValues(route), authorization).map(([params, auth]) => {
        const { api, read } = stack.tokens;
        const mangled: Record<string, string> = {
          'missing-char': `Bearer ${api.slice(0, -1)}`,
          'extra-char': `Bearer ${api}x`,
          'no-scheme': api,
          'other-scheme': `Basic ${api}`,
          'two-tokens': `Bearer ${api} ${api}`,
          'read-token': `Bearer ${read}`,
          'upper-case': `Bearer ${api.toUpperCase()}`,
        };
        const body = validBody(route);
        const req = request(route, fill(route, params), body === undefined ? {} : { headers: json, body: bodyText(body) });
        return { ...req, headers: { ...req.headers, authorization: mangled[auth ?? ''] ?? auth } };
      }),
    );
    await fuzz(arb, 200, (req, res) => {
      const readToken = req.headers?.authorization === `Bearer ${stack.tokens.read}`;
      const code = res.status >= 400 ? (JSON.parse(res.text) as { error: { code: string } }).error.code : undefined;
      // The read token reads (whatever the answer then is), and is refused on writes.
      if (readToken && req.method === 'GET') expect(res.status, describeRequest(req)).not.toBeOneOf([401, 403]);
      else expect([res.status, code], describeRequest(req)).toEqual(readToken ? [403, 'forbidden'] : [401, 'unauthorized']);
    });
  });

  it('unknown, repeated and odd query parameters on every route', async () => {
    const arb = pick().chain((route) =>
      fc.tuple(paramValues(route), oddQuery(route.queryKeys.length ? route.queryKeys : ['limit'])).map(([params, query]) => {
        // Writes read no query string: a body with an unknown field keeps them refused (and cheap).
        const body = route.method === 'GET' ? undefined : { ...(validBody(route) as object), unexpected: true };
        return request(route, `${fill(route, params)}?${query}`, body === undefined ? {} : { headers: json, body: bodyText(body) });
      }),
    );
    await fuzz(arb, 150);
  });

  it('path parameters with odd characters (%00, ../, unicode, malformed escapes, 10k characters)', async () => {
    const arb = pick((r) => r.path.includes('{')).chain((route) =>
      fc.tuple(paramValues(route), fc.constantFrom('id', 'feature'), oddPathSegment).map(([params, which, segment]) => {
        const target = route.path.replace(/\{(\w+)\}/g, (_, name: string) => (name === which || !route.path.includes(`{${which}}`) ? segment : encodeURIComponent(params[name]!)));
        const body = validBody(route);
        return request(route, target, body === undefined ? {} : { headers: json, body: bodyText(body) });
      }),
    );
    await fuzz(arb, 150);
  });

  it('odd headers: Idempotency-Key of any length and content, request ids, encodings, a second Content-Type or Authorization', async () => {
    const value = fc.oneof(
      oddString.filter((s) => !/[\r\n\0]/.test(s) && !/^\s|\s$/.test(s)),
      fc.integer({ min: 201, max: 12_000 }).map((n) => 'k'.repeat(n)),
      fc.constantFrom('k', 'key with spaces', 'k\u00e9', '\u00ff'.repeat(300)),
    );
    // Capitalised names are sent as a second line next to the request's own content-type and authorization.
    const headerName = fc.constantFrom('idempotency-key', 'x-request-id', 'accept', 'accept-encoding', 'stripe-signature', 'content-encoding', 'Content-Type', 'Authorization');
    const arb = pick().chain((route) =>
      fc.tuple(paramValues(route), headerName, value, fc.boolean()).map(([params, name, v, valid]) => {
        // Half the writes carry a valid body (the header is what decides), half one with an unknown field (cheaper: refused).
        const body = route.method === 'GET' ? undefined : valid ? validBody(route) : { ...(validBody(route) as object), unexpected: true };
        return request(route, fill(route, params), { headers: { ...(body === undefined ? {} : json), [name]: v }, ...(body === undefined ? {} : { body: bodyText(body) }) });
      }),
    );
    await fuzz(arb, 100);
  });

  it('other methods on every path (HEAD, OPTIONS, PATCH, DELETE, TRACE, made-up ones)', async () => {
    const arb = fc
      .tuple(pick(), fc.constantFrom('HEAD', 'OPTIONS', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'GET', 'POST', 'PUT'))
      .chain(([route, method]) => paramValues(route).map((params) => ({ ...request(route, fill(route, params), { headers: json, body: '{}' }), method })));
    await fuzz(arb, 80);
  });

  it('Stripe webhooks: unsigned, forged, and correctly signed events with odd contents', async () => {
    const route = routes.find((r) => r.label === 'POST /v1/stripe/webhook')!;
    const object = fc.oneof(
      oddValue,
      fc.record({
        id: fc.oneof(fc.constant('pi_fuzz'), oddValue),
        metadata: fc.oneof(
          oddValue,
          fc.record({
            workspace_id: fc.oneof(fc.constantFrom(...EXISTING, UNKNOWN), oddString),
            invoice_id: fc.oneof(fc.constant(invoiceId), fc.uuid(), oddString),
          }),
        ),
        last_payment_error: fc.oneof(oddValue, fc.record({ message: oddValue, decline_code: oddValue, code: oddValue })),
      }),
    );
    const event = fc.oneof(
      randomJsonBody,
      fc.record({
        id: fc.oneof(fc.constant('').map(() => `evt_${randomUUID().replace(/-/g, '')}`), oddValue),
        type: fc.oneof(fc.constantFrom('payment_intent.succeeded', 'payment_intent.payment_failed', 'charge.refunded'), oddValue),
        data: fc.oneof(oddValue, fc.record({ object })),
      }),
    );
    const signature = fc.constantFrom('valid', 'valid', 'valid', 'none', 'forged', 'old', 'garbage');
    const arb = fc.tuple(event, signature, fc.constantFrom('application/json', 'text/plain', undefined)).map(([e, sig, type]) => {
      const payload = bodyText(e);
      const now = Math.floor(Date.now() / 1000);
      const header = {
        valid: signPayload(payload, stack.webhookSecret),
        none: undefined,
        forged: signPayload(payload, 'whsec_forged'),
        old: signPayload(payload, stack.webhookSecret, now - 3600),
        garbage: 't=abc,v1=,v0=zz,,==',
      }[sig];
      return { route: route.label, method: 'POST', target: route.path, headers: { 'content-type': type, 'stripe-signature': header }, body: payload };
    });
    await fuzz(arb, 150);
  });
});

describe('huge and byte-level requests', () => {
  const big = (bytes: number) => JSON.stringify({ name: 'x'.repeat(bytes) });

  it('2 MB and 5 MB bodies to every route that reads one: 413, nothing written', async () => {
    for (const route of routes.filter(writes)) {
      for (const size of [2_000_000, 5_000_000]) {
        const res = await exchange(request(route, fill(route, { id: FREE, feature: 'chat' }), { headers: json, body: big(size) }));
        expect([res.status, JSON.parse(res.text).error.code], route.label).toEqual([413, 'body_too_large']);
      }
    }
  });

  it('a 100k-character string field (413) and a 60k one (422, too long)', async () => {
    for (const [length, status] of [[100_000, 413], [60_000, 422]] as const) {
      for (const field of ['name', 'memberId', 'idempotencyKey']) {
        const route = routes.find((r) => r.label === (field === 'name' ? 'POST /v1/workspaces' : 'POST /v1/workspaces/{id}/usage'))!;
        const body = { ...(validBody(route) as object), [field]: 'y'.repeat(length) };
        const res = await exchange(request(route, fill(route, { id: PRO }), { headers: json, body: bodyText(body) }));
        expect(res.status, `${field} of ${length}`).toBe(status);
      }
    }
  });

  it('very long ids in the path, Idempotency-Key and Authorization headers (up to and beyond the header limit)', async () => {
    const plan = routes.find((r) => r.label === 'POST /v1/workspaces/{id}/plan')!;
    const get = routes.find((r) => r.label === 'GET /v1/workspaces/{id}')!;
    for (const n of [100, 1_000, 10_000, 15_000, 20_000, 70_000]) {
      await exchange(request(get, `/v1/workspaces/${'w'.repeat(n)}`));
      await exchange(request(plan, `/v1/workspaces/${FREE}/plan`, { headers: { ...json, 'idempotency-key': 'k'.repeat(n) }, body: '{"plan":"free"}' }));
      await exchange({ ...request(get, `/v1/workspaces/${FREE}`), headers: { authorization: `Bearer ${'t'.repeat(n)}` } });
      await exchange(request(get, `/v1/workspaces/${FREE}?${'q'.repeat(n)}=1`));
    }
  });

  it('raw bytes well-behaved clients never send: control characters, spaces and UTF-8 in the request line and headers', async () => {
    const get = routes.find((r) => r.label === 'GET /v1/workspaces/{id}')!;
    const usage = routes.find((r) => r.label === 'POST /v1/workspaces/{id}/usage')!;
    const targets = ['/v1/workspaces/é', '/v1/workspaces/a b', '/v1/workspaces/a\u0001b', '/v1/workspaces/\u0000', '/v1/workspaces/🙂/export', '/v1/../v1/workspaces/x', 'v1/workspaces', '*', 'http://evil.example/v1/workspaces/x', '/v1/workspaces/a\tb'];
    for (const target of targets) await exchange(request(get, target));
    await fc.assert(
      fc.asyncProperty(withControlChar, fc.constantFrom('idempotency-key', 'authorization', 'content-type', 'x-request-id'), async (value, name) => {
        const headers = { ...json, [name]: name === 'authorization' ? `Bearer ${stack.tokens.api}${value}` : value };
        await exchange(request(usage, `/v1/workspaces/${FREE}/usage`, { headers, body: bodyText(validBody(usage)) }));
      }),
      runs(40),
    );
  });
});

describe('regressions found by the fuzzing', () => {
  // These were accepted, then the workflow's activity failed on them forever (Postgres refuses NUL; the price
  // overflowed an integer column): the request never got an answer and the workspace's workflow was stuck.
  const enterprise = (monthlyPriceCents: number) => ({ monthlyCredits: 10, monthlyPriceCents });
  it.each([
    ['a NUL in the name', 'POST /v1/workspaces', () => workspaceBody(next('r'), { name: 'a\u0000b' })],
    ['a control character in the city', 'POST /v1/workspaces', () => workspaceBody(next('r'), { billingAddress: { country: 'US', city: 'x\u0000' } })],
    ['a control character in line1', 'POST /v1/workspaces', () => workspaceBody(next('r'), { billingAddress: { country: 'US', line1: 'a\u0007' } })],
    ['a control character in the postal code', 'POST /v1/workspaces', () => workspaceBody(next('r'), { billingAddress: { country: 'US', postalCode: '\u001b1' } })],
    ['enterprise at $30M a month', 'POST /v1/workspaces', () => workspaceBody(next('r'), { plan: 'enterprise', enterprise: enterprise(3_000_000_000), paymentMethod: 'pm_card_visa' })],
    ['a NUL in a purchase key', 'POST /v1/workspaces/{id}/purchases', () => ({ credits: 100, idempotencyKey: 'k\u0000' })],
    ['enterprise at $30M a month', 'POST /v1/workspaces/{id}/plan', () => ({ plan: 'enterprise', enterprise: enterprise(3_000_000_000) })],
    ['enterprise above one Stripe charge', 'POST /v1/workspaces/{id}/plan', () => ({ plan: 'enterprise', enterprise: enterprise(100_000_000) })],
  ])('%s (%s): 422 at once, nothing written', async (_what, label, body) => {
    const route = routes.find((r) => r.label === label)!;
    const res = await exchange(request(route, fill(route, { id: PRO }), { headers: json, body: bodyText(body()) }));
    expect([res.status, JSON.parse(res.text).error.code]).toEqual([422, 'validation_failed']);
  });

  it('cancel and resume refuse a body other than none or {} with 422 (a cancel with options was carried out without them)', async () => {
    for (const action of ['cancel', 'resume']) {
      const route = routes.find((r) => r.label === `POST /v1/workspaces/{id}/${action}`)!;
      for (const body of ['{"immediately":true}', '{"atPeriodEnd":false}', '[]', 'null', '"now"', '0']) {
        const res = await exchange(request(route, `/v1/workspaces/${PRO}/${action}`, { headers: json, body }));
        expect([res.status, JSON.parse(res.text).error.code], `${action} ${body}`).toEqual([422, 'validation_failed']);
      }
    }
    // No body and an empty object are still accepted.
    const resume = routes.find((r) => r.label === 'POST /v1/workspaces/{id}/resume')!;
    const cancel = routes.find((r) => r.label === 'POST /v1/workspaces/{id}/cancel')!;
    expect((await exchange(request(resume, `/v1/workspaces/${CANCELLING}/resume`, { headers: json, body: '{}' }))).status).toBe(200);
    expect((await exchange(request(cancel, `/v1/workspaces/${CANCELLING}/cancel`))).status).toBe(200);
  });
});

describe('after the fuzzing', () => {
  it('every route was fuzzed, and refused creations started no workflow', async () => {
    for (const route of routes) expect(stats.byRoute.get(route.label) ?? 0, route.label).toBeGreaterThanOrEqual(10);
    for (const id of new Set(refusedCreates)) {
      const exists = await stack.client.workflow
        .getHandle(workflowIdFor(id))
        .describe()
        .then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)));
      const { rowCount } = await pool.query('SELECT 1 FROM workspaces WHERE id = $1', [id]);
      expect(exists && !rowCount, `a refused create of '${id}' left a workflow behind`).toBe(false);
    }
    expect(snapshotDiff(baseline, await settledSnapshot(pool, stack.client, prefix))).toEqual({});
  });
});
