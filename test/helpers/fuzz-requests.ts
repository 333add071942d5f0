// What the two fuzz files share (test/api/fuzz.test.ts on app.inject,
// test/e2e/fuzz.test.ts against the running workflows): the routes of the
// OpenAPI document, a valid request per route, the generators that break
// them, and the checks every answer passes (no 5xx, the error shape).
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { signPayload } from '../../src/stripe-sandbox/webhooks';
import { oddNumberLiteral, oddString, oddValue, randomJsonBody } from './fuzz-arbitraries';
import { usageBody, workspaceBody } from './http';
import type { RawAnswer, RawRequest } from './raw-http';

export interface DocRoute {
  method: string;
  /** OpenAPI path template, e.g. /v1/workspaces/{id}/features/{feature}. */
  path: string;
  label: string;
  bearer: boolean;
  queryKeys: string[];
}

interface OpenApiOperation {
  security?: unknown[];
  parameters?: Array<{ in: string; name: string }>;
}

/** The routes of the OpenAPI document the service serves. */
export function routesOf(doc: { paths: Record<string, Record<string, OpenApiOperation>>; security?: unknown[] }): DocRoute[] {
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

/** What a fuzz file owns: its workspaces (ids start with `prefix`), an invoice, its tokens and webhook secret. */
export interface FuzzWorld {
  prefix: string;
  existing: string[];
  unknown: string;
  invoiceId: string;
  tokens: { api: string; read: string };
  webhookSecret: string;
  routes: DocRoute[];
}

export interface FuzzRequest extends RawRequest {
  route: string;
}

export const JSON_TYPE = { 'content-type': 'application/json' };

export const fuzzRuns = (n: number) => ({
  numRuns: n,
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
});

let seq = 0;
/** A fresh id or key inside the world's prefix. */
export const next = (world: FuzzWorld, what: string) => `${world.prefix}${what}${++seq}`;

/** A valid body for each route that takes one (a fresh id or key where the route needs one); `variant` 3: enterprise terms. */
export function validBody(world: FuzzWorld, route: DocRoute, variant = 0): unknown {
  const enterprise = { monthlyCredits: 10, monthlyPriceCents: 0 };
  switch (route.label) {
    case 'POST /v1/workspaces':
      return workspaceBody(next(world, 'new'), variant === 3 ? { plan: 'enterprise', enterprise, paymentMethod: 'pm_card_visa' } : {});
    case 'POST /v1/workspaces/{id}/plan':
      return variant === 3 ? { plan: 'enterprise', enterprise } : { plan: 'free' };
    case 'PUT /v1/workspaces/{id}/payment-method':
      return { paymentMethod: 'pm_card_mastercard' };
    case 'POST /v1/workspaces/{id}/purchases':
      return { credits: 100, idempotencyKey: next(world, 'buy') };
    case 'PUT /v1/workspaces/{id}/on-demand':
      return { enabled: true, monthlyLimit: 50 };
    case 'PUT /v1/workspaces/{id}/features/{feature}':
      return { enabled: false };
    case 'PUT /v1/workspaces/{id}/low-balance':
      return { threshold: variant === 3 ? null : 10 };
    case 'POST /v1/workspaces/{id}/usage':
      return usageBody(next(world, 'use'));
    case 'POST /v1/stripe/webhook':
      return { id: `evt_${randomUUID().replace(/-/g, '')}`, type: 'payment_intent.succeeded', data: { object: { id: 'pi_1' } } };
    default:
      return route.method === 'GET' ? undefined : {};
  }
}

/** Path parameters: existing workspaces and invoice mostly, an unknown (well-formed) one sometimes. */
export function paramValues(world: FuzzWorld, route: DocRoute): fc.Arbitrary<Record<string, string>> {
  const id = route.path.startsWith('/v1/invoices/')
    ? fc.constantFrom(world.invoiceId, world.invoiceId, randomUUID())
    : fc.constantFrom(...world.existing, world.unknown);
  return fc.record({ id, feature: fc.constantFrom('chat', 'reports', 'ai.assist') });
}

export const fill = (route: DocRoute, params: Record<string, string>) =>
  route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? 'x'));

/** Replaces `"@@raw:N@@"` placeholders by raw literals (numbers JSON.stringify cannot write). */
const RAW = (n: number) => `@@raw:${n}@@`;
export function bodyText(body: unknown, rawLiterals: string[] = []): string {
  let text = JSON.stringify(body) ?? 'null';
  rawLiterals.forEach((literal, n) => (text = text.replace(JSON.stringify(RAW(n)), literal)));
  return text;
}

/** A request to `route` with the full token (unless `headers` replace it). */
export function fuzzRequest(world: FuzzWorld, route: DocRoute, target: string, opts: { headers?: Record<string, string | undefined>; body?: string | Buffer } = {}): FuzzRequest {
  return {
    route: route.label,
    method: route.method,
    target,
    headers: { authorization: `Bearer ${world.tokens.api}`, ...opts.headers },
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  };
}

export const pick = (world: FuzzWorld, filter: (r: DocRoute) => boolean = () => true) => fc.constantFrom(...world.routes.filter(filter));
export const writes = (r: DocRoute) => r.method !== 'GET';
export const routeNamed = (world: FuzzWorld, label: string) => world.routes.find((r) => r.label === label)!;

// ---------------------------------------------------------------------------
// Checking an answer.

export const cut = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}... (${s.length} chars)` : s);

export function describeRequest(req: FuzzRequest): string {
  const headers = Object.fromEntries(Object.entries(req.headers ?? {}).map(([k, v]) => [k, v === undefined ? v : cut(v, 120)]));
  const body = req.body === undefined ? 'none' : Buffer.isBuffer(req.body) ? `<${req.body.length} bytes> ${cut(req.body.toString('hex'), 120)}` : cut(JSON.stringify(req.body));
  return `${req.method} ${cut(JSON.stringify(req.target), 200)} headers=${JSON.stringify(headers)} body=${body}`;
}

export function expectErrorShape(req: FuzzRequest, res: RawAnswer, what: string): void {
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

/** Answers that may legitimately write: accepted writes, and refusals the rules say leave a record. */
export function mayWrite(req: FuzzRequest, res: RawAnswer): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  if (res.status < 300) return true;
  // A refused sign-up marks its row signup_failed (README, billing rules); a declined payment voids the invoice
  // it issued; the first refusal for credits emits credits.exhausted.
  if (res.status === 402 && req.route === 'POST /v1/workspaces') return true;
  return res.status === 402 && /"code":"(payment_failed|credit_limit_reached)"/.test(res.text);
}

/** Requests and answers per route and status, printed after the run; every route must have had its share. */
export class FuzzStats {
  requests = 0;
  accepted = 0;
  readonly byRoute = new Map<string, number>();
  readonly byStatus = new Map<number, number>();

  count(req: FuzzRequest, res: RawAnswer): void {
    this.requests++;
    this.byRoute.set(req.route, (this.byRoute.get(req.route) ?? 0) + 1);
    this.byStatus.set(res.status, (this.byStatus.get(res.status) ?? 0) + 1);
  }

  summary(name: string): string {
    const byStatus = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(' ');
    return `${name}: ${this.requests} requests, ${this.accepted} accepted writes; statuses ${byStatus}`;
  }
}

// ---------------------------------------------------------------------------
// Generators both files run.

type Mutation = { kind: 'set'; value: unknown } | { kind: 'delete' } | { kind: 'extra'; key: string; value: unknown } | { kind: 'raw'; literal: string };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: oddValue.map((value) => ({ kind: 'set' as const, value })), weight: 5 },
  { arbitrary: fc.constant({ kind: 'delete' as const }), weight: 1 },
  { arbitrary: fc.tuple(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'prototype')), oddValue).map(([key, value]) => ({ kind: 'extra' as const, key, value })), weight: 2 },
  { arbitrary: oddNumberLiteral.map((literal) => ({ kind: 'raw' as const, literal })), weight: 2 },
);

/** Valid bodies of every write route (but the webhook) with one to three fields broken: odd values, missing fields, unknown fields, odd number literals. */
export function brokenBodyRequests(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  return pick(world, (r) => writes(r) && r.label !== 'POST /v1/stripe/webhook').chain((route) =>
    fc.tuple(paramValues(world, route), fc.nat(3), fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 })).map(([params, variant, mutations]) => {
      const body = validBody(world, route, variant) as Record<string, unknown>;
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
          // A new workspace's id keeps the prefix, so whatever it creates stays inside what the file checks.
          const value = m.kind === 'raw' ? RAW(raw.push(m.literal) - 1) : m.value;
          parent[key] = route.label === 'POST /v1/workspaces' && path.join('.') === 'id' && typeof value === 'string' ? `${world.prefix}${value}` : value;
        }
      }
      // Mutations that changed nothing (the same value again, the body itself) still leave a valid body: add a field.
      if (bodyText(body, raw) === original) body.unexpected = true;
      return fuzzRequest(world, route, fill(route, params), { headers: JSON_TYPE, body: bodyText(body, raw) });
    }),
  );
}

/** Stripe webhooks: unsigned, forged, stale and correctly signed events with odd contents. */
export function webhookRequests(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const route = routeNamed(world, 'POST /v1/stripe/webhook');
  const object = fc.oneof(
    oddValue,
    fc.record({
      id: fc.oneof(fc.constant('pi_fuzz'), oddValue),
      metadata: fc.oneof(
        oddValue,
        fc.record({
          workspace_id: fc.oneof(fc.constantFrom(...world.existing, world.unknown), oddString),
          invoice_id: fc.oneof(fc.constant(world.invoiceId), fc.uuid(), oddString),
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
  return fc.tuple(event, signature, fc.constantFrom('application/json', 'text/plain', undefined)).map(([e, sig, type]) => {
    const payload = bodyText(e);
    const now = Math.floor(Date.now() / 1000);
    const header = {
      valid: signPayload(payload, world.webhookSecret),
      none: undefined,
      forged: signPayload(payload, 'whsec_forged'),
      old: signPayload(payload, world.webhookSecret, now - 3600),
      garbage: 't=abc,v1=,v0=zz,,==',
    }[sig];
    return { route: route.label, method: 'POST', target: route.path, headers: { 'content-type': type, 'stripe-signature': header }, body: payload };
  });
}

/** Odd headers (Idempotency-Key of any length and content, request ids, encodings, a second Content-Type or Authorization) on every route. */
export function oddHeaderRequests(world: FuzzWorld): fc.Arbitrary<FuzzRequest> {
  const value = fc.oneof(
    oddString.filter((s) => !/[\r\n\0]/.test(s) && !/^\s|\s$/.test(s)),
    fc.integer({ min: 201, max: 12_000 }).map((n) => 'k'.repeat(n)),
    fc.constantFrom('k', 'key with spaces', 'k\u00e9', '\u00ff'.repeat(300)),
  );
  // Capitalised names are sent as a second line next to the request's own content-type and authorization.
  const headerName = fc.constantFrom('idempotency-key', 'x-request-id', 'accept', 'accept-encoding', 'stripe-signature', 'content-encoding', 'Content-Type', 'Authorization');
  return pick(world).chain((route) =>
    fc.tuple(paramValues(world, route), headerName, value, fc.boolean()).map(([params, name, v, valid]) => {
      // Half the writes carry a valid body (the header is what decides), half one with an unknown field (cheaper: refused).
      const body = route.method === 'GET' ? undefined : valid ? validBody(world, route) : { ...(validBody(world, route) as object), unexpected: true };
      return fuzzRequest(world, route, fill(route, params), { headers: { ...(body === undefined ? {} : JSON_TYPE), [name]: v }, ...(body === undefined ? {} : { body: bodyText(body) }) });
    }),
  );
}
