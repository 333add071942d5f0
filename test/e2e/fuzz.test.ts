// Fuzzing what the workflows decide, over real HTTP against the running
// service (Temporal dev server, Stripe sandbox, Postgres). The edge itself
// (validation and auth, every route, every kind of malformed request) is
// fuzzed without a server in test/api/fuzz.test.ts; here go the generators
// whose requests get past it: requests the edge accepts with values only the
// workflows can judge (plans, cards Stripe refuses, terms and limits at their
// bounds, reused keys), valid bodies with one to three fields changed (some
// stay valid and reach the workflow with odd values), valid bodies under odd
// headers (Idempotency-Keys of any content name workflow updates), and
// correctly signed Stripe webhooks with odd contents signalling the workflows.
//
// For every request: no 5xx; every 4xx in the error shape {"error": {code,
// message}}; and a refused request changes nothing: the rows of every
// workspace table for the workspaces this file owns are compared with the
// state before, and around each batch the API's view and the workflows'
// state too. A failure prints the request; fast-check prints its seed and
// path (replay with FUZZ_SEED and FUZZ_PATH).
import { WorkflowNotFoundError } from '@temporalio/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { textProblem } from '../../src/domain/text';
import { MAX_ENTERPRISE_CREDITS, MAX_ENTERPRISE_PRICE_CENTS, MAX_LOW_BALANCE_THRESHOLD, MAX_ON_DEMAND_LIMIT } from '../../src/domain/workspace';
import { workflowIdFor } from '../../workflows/definitions';
import {
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
  next,
  oddHeaderRequests,
  paramValues,
  pick,
  routeNamed,
  routesOf,
  webhookRequests,
  writes,
  type FuzzRequest,
  type FuzzWorld,
} from '../helpers/fuzz-requests';
import { apiClient, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { rawRequest, type RawAnswer } from '../helpers/raw-http';
import { startStack, type Stack } from '../helpers/stack';
import { dbSnapshot, settledSnapshot, snapshotDiff, workflowStates, type DbSnapshot } from '../helpers/state-snapshot';

// Requests that reach Temporal and Stripe: generous on a busy 2-core CI machine.
vi.setConfig({ testTimeout: 180_000 });

// Every id this file creates starts with this (other files share the database).
const prefix = `fuzz-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}-`;
const FREE = `${prefix}free`;
const PRO = `${prefix}pro`;
const CANCELLING = `${prefix}cancelling`;
const EXISTING = [FREE, PRO, CANCELLING];

let stack: Stack;
let call: ApiCall;
let pool: Pool;
let world: FuzzWorld;
let baseline: DbSnapshot;
let viewsBaseline: Awaited<ReturnType<typeof views>>;
const stats = new FuzzStats();
const refusedCreates: string[] = [];

async function exchange(req: FuzzRequest): Promise<RawAnswer> {
  const what = describeRequest(req);
  // Nothing legitimate takes 10 s; a request left waiting (a workflow stuck on data it cannot store) fails here.
  const res = await rawRequest(stack.api, req, 10_000);
  stats.count(req, res);

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
    // A refusal the workflows decided may be followed by their bookkeeping (a read-model sync): compare once they are idle.
    const decidedByWorkflows = req.method !== 'GET' && [402, 404, 409, 422].includes(res.status);
    const after = decidedByWorkflows ? await settledSnapshot(pool, stack.client, prefix) : await dbSnapshot(pool, prefix);
    const diff = snapshotDiff(baseline, req.route.endsWith('/payment-method') ? keepingFirstCustomer(baseline, after) : after);
    if (Object.keys(diff).length > 0) {
      baseline = await settledSnapshot(pool, stack.client, prefix);
      throw new Error(`${what}\n-> ${res.status} ${cut(res.text)}\nwas refused, yet stored state changed: ${cut(JSON.stringify(diff), 4000)}`);
    }
    // The allowed change (a refused card's customer) is the state later refusals are compared with.
    baseline = after;
  }
  return res;
}

/**
 * A refused card still leaves the workspace's Stripe customer on record (the
 * README's billing rules: one customer per workspace, created before the
 * attach, so a retry a day later does not create a second one). That first
 * customer id (and the row's updated_at) is the one change allowed.
 */
function keepingFirstCustomer(before: DbSnapshot, after: DbSnapshot): DbSnapshot {
  type Row = Record<string, unknown>;
  const was = new Map((before.workspaces as Row[]).map((row) => [row.id, row]));
  const workspaces = (after.workspaces as Row[]).map((row) => {
    const old = was.get(row.id);
    return old && old.stripe_customer_id === null && typeof row.stripe_customer_id === 'string'
      ? { ...row, stripe_customer_id: null, updated_at: old.updated_at }
      : row;
  });
  return { ...after, workspaces };
}

/** The API's view of each owned workspace and its workflow's state: compared around each batch. */
async function views() {
  const api: Record<string, unknown> = {};
  for (const id of EXISTING) api[id] = (await call('GET', `/v1/workspaces/${id}`)).body;
  return { api, workflows: await workflowStates(stack.service.workflows, EXISTING) };
}

/**
 * Runs a property. Afterwards the API's views and the workflows' state must
 * be as they were after the last accepted write (or before the batch): the
 * refusals since changed nothing there either.
 */
async function fuzz(arb: fc.Arbitrary<FuzzRequest>, numRuns: number): Promise<void> {
  viewsBaseline = await views();
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      await exchange(req);
    }),
    fuzzRuns(numRuns),
  );
  expect(await views(), 'the workspaces as the API and their workflows show them').toEqual(viewsBaseline);
}

/**
 * Requests the edge accepts, with values only the workflows (and Stripe) can
 * judge: plans the catalog lacks or a change the rules forbid, cards Stripe
 * declines or does not know, enterprise terms and limits anywhere in their
 * range, and a few keys reused with other bodies (409, or the first answer).
 */
function judgedByWorkflows(): fc.Arbitrary<FuzzRequest> {
  const plan = fc.constantFrom('free', 'pro', 'growth', 'enterprise', 'platinum', 'legacy_2019');
  const card = fc.constantFrom('pm_card_visa', 'pm_card_mastercard', 'pm_card_chargeDeclined', 'pm_card_chargeCustomerFail', 'pm_card_chargeDeclinedInsufficientFunds', 'pm_card_authenticationRequired', 'pm_does_not_exist');
  const enterprise = fc.record({ monthlyCredits: fc.integer({ min: 0, max: MAX_ENTERPRISE_CREDITS }), monthlyPriceCents: fc.integer({ min: 0, max: MAX_ENTERPRISE_PRICE_CENTS }) });
  const key = fc.constantFrom('key-a', 'key-b', 'key-c');
  const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => textProblem(s) === null && s.trim() === s && s.length > 0);
  const bodies: Record<string, fc.Arbitrary<unknown>> = {
    'POST /v1/workspaces': fc
      .record({ plan, name, paymentMethod: fc.option(card, { nil: undefined }), enterprise: fc.option(enterprise, { nil: undefined }) })
      .map((b) => workspaceBody(next(world, 'new'), Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)))),
    'POST /v1/workspaces/{id}/plan': fc.record({ plan, enterprise: fc.option(enterprise, { nil: undefined }) }).map((b) => (b.enterprise ? b : { plan: b.plan })),
    'PUT /v1/workspaces/{id}/payment-method': card.map((paymentMethod) => ({ paymentMethod })),
    'POST /v1/workspaces/{id}/purchases': fc.record({ credits: fc.integer({ min: 100, max: 100_000 }), idempotencyKey: key }),
    'PUT /v1/workspaces/{id}/on-demand': fc.record({ enabled: fc.boolean(), monthlyLimit: fc.integer({ min: 0, max: MAX_ON_DEMAND_LIMIT }) }),
    'PUT /v1/workspaces/{id}/features/{feature}': fc.record({ enabled: fc.boolean() }),
    'PUT /v1/workspaces/{id}/low-balance': fc.record({ threshold: fc.option(fc.integer({ min: 0, max: MAX_LOW_BALANCE_THRESHOLD }), { nil: null }) }),
    'POST /v1/workspaces/{id}/cancel': fc.constant(undefined),
    'POST /v1/workspaces/{id}/resume': fc.constant(undefined),
  };
  return pick(world, (r) => r.label in bodies).chain((route) =>
    fc.tuple(paramValues(world, route), bodies[route.label]!, fc.option(key, { nil: undefined })).map(([params, body, idempotencyKey]) =>
      fuzzRequest(world, route, fill(route, params), {
        headers: { ...(body === undefined ? {} : JSON_TYPE), ...(idempotencyKey && !route.label.endsWith('/purchases') ? { 'idempotency-key': idempotencyKey } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    ),
  );
}

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
  const invoiceId = (await ok('POST', `/v1/workspaces/${PRO}/purchases`, { credits: 100, idempotencyKey: 'seed-buy' }, 201)).invoiceId;
  await ok('PUT', `/v1/workspaces/${PRO}/on-demand`, { enabled: true, monthlyLimit: 50 });
  await ok('POST', `/v1/workspaces/${PRO}/usage`, usageBody('seed-usage'));
  await ok('POST', '/v1/workspaces', workspaceBody(CANCELLING), 201);
  await ok('POST', `/v1/workspaces/${CANCELLING}/cancel`, undefined);

  const routes = routesOf((await call('GET', '/openapi.json', { token: null })).body);
  world = { prefix, existing: EXISTING, unknown: `${prefix}missing`, invoiceId, tokens: stack.tokens, webhookSecret: stack.webhookSecret, routes };
  baseline = await settledSnapshot(pool, stack.client, prefix);
});

afterAll(async () => {
  if (stats.requests > 0) console.log(stats.summary('fuzz (workflows)'));
  await pool?.end();
  await stack?.stop();
});

describe('fuzzing requests that get past the edge, against the running workflows', () => {
  it('requests the edge accepts with values only the workflows can judge: plans, cards Stripe refuses, terms and limits, reused keys', async () => {
    await fuzz(judgedByWorkflows(), 80);
  });

  it('valid bodies with one to three fields changed: odd values, missing fields, unknown fields, odd number literals', async () => {
    await fuzz(brokenBodyRequests(world), 120);
  });

  it('valid bodies under odd headers: Idempotency-Keys of any content, request ids, encodings, a second Content-Type or Authorization', async () => {
    await fuzz(oddHeaderRequests(world), 80);
  });

  it('Stripe webhooks: correctly signed events with odd contents reach the workflows (and unsigned, forged, stale ones do not)', async () => {
    await fuzz(webhookRequests(world), 120);
  });

  it('cancel and resume without a body or with {} are carried out (the edge refuses any other body)', async () => {
    const cancel = routeNamed(world, 'POST /v1/workspaces/{id}/cancel');
    const resume = routeNamed(world, 'POST /v1/workspaces/{id}/resume');
    expect((await exchange(fuzzRequest(world, resume, `/v1/workspaces/${CANCELLING}/resume`, { headers: JSON_TYPE, body: '{}' }))).status).toBe(200);
    expect((await exchange(fuzzRequest(world, cancel, `/v1/workspaces/${CANCELLING}/cancel`))).status).toBe(200);
  });
});

describe('after the fuzzing', () => {
  it('every write route was fuzzed, refused creations started no workflow, and the state settled where the last accepted write left it', async () => {
    for (const route of world.routes.filter(writes)) expect(stats.byRoute.get(route.label) ?? 0, route.label).toBeGreaterThanOrEqual(5);
    expect(stats.accepted, 'accepted writes').toBeGreaterThan(0);
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
