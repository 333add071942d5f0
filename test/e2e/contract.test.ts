// The HTTP contract of SPEC section 7 where it needs the running workflow or
// Stripe, over real HTTP against the running service (Temporal dev server,
// Stripe sandbox, Postgres): reads with the read-only token, and the refusals
// decided by the workflow (unknown workspace, conflicts, plans the workflow
// refuses, a card Stripe refuses), each in the {"error": {code, message}}
// shape, changing nothing.
// Validation, auth and the OpenAPI document: test/api/contract.test.ts (app.inject).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { expectRefusal } from '../helpers/refusal';
import { SPEC_ROUTES, urlFor } from '../helpers/spec-routes';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

let stack: Stack;
let call: ApiCall;
const id = uniqueId('contract');
const ws = `/v1/workspaces/${id}`;
const unknown = `/v1/workspaces/${uniqueId('missing')}`;
let invoiceId: string;
let viewBefore: unknown;

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
  expect((await call('POST', '/v1/workspaces', { body: workspaceBody(id) })).status).toBe(201);
  expect((await call('PUT', `${ws}/payment-method`, { body: { paymentMethod: 'pm_card_visa' } })).status).toBe(200);
  const bought = await call('POST', `${ws}/purchases`, { body: { credits: 100, idempotencyKey: 'contract-buy' } });
  expect(bought.status).toBe(201);
  invoiceId = bought.body.invoiceId;
  expect((await call('POST', `${ws}/usage`, { body: usageBody('used-once') })).status).toBe(200);
  viewBefore = (await call('GET', ws)).body;
});
afterAll(async () => {
  await stack?.stop();
});

const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
const reads = SPEC_ROUTES.filter((r) => r.bearer && r.method === 'GET');

describe('reads with the read-only token', () => {
  it.each(reads.map((r) => [label(r), r] as const))('%s: 200 for the read-only token', async (_, route) => {
    const res = await call(route.method, urlFor(route, { id, invoiceId }), { token: stack.tokens.read });
    expect(res.status).toBe(200);
  });
});

type Case = [what: string, method: string, url: () => string, body: unknown, status: number, code: string];

const cases: Case[] = [
  ['create: the same id with a different body', 'POST', () => '/v1/workspaces', workspaceBody(id, { name: 'Someone else' }), 409, 'conflict'],
  ['plan: unknown workspace', 'POST', () => `${unknown}/plan`, { plan: 'pro' }, 404, 'not_found'],
  ['plan: unknown plan', 'POST', () => `${ws}/plan`, { plan: 'platinum' }, 422, 'validation_failed'],
  ['plan: enterprise without terms', 'POST', () => `${ws}/plan`, { plan: 'enterprise' }, 422, 'validation_failed'],
  ['cancel: unknown workspace', 'POST', () => `${unknown}/cancel`, undefined, 404, 'not_found'],
  ['resume: unknown workspace', 'POST', () => `${unknown}/resume`, undefined, 404, 'not_found'],
  ['payment method: unknown workspace', 'PUT', () => `${unknown}/payment-method`, { paymentMethod: 'pm_card_visa' }, 404, 'not_found'],
  ['payment method: one Stripe does not know', 'PUT', () => `${ws}/payment-method`, { paymentMethod: 'pm_does_not_exist' }, 402, 'payment_method_rejected'],
  ['purchase: unknown workspace', 'POST', () => `${unknown}/purchases`, { credits: 100, idempotencyKey: 'k' }, 404, 'not_found'],
  ['purchase: a used key with other credits', 'POST', () => `${ws}/purchases`, { credits: 200, idempotencyKey: 'contract-buy' }, 409, 'idempotency_conflict'],
  ['on-demand: unknown workspace', 'PUT', () => `${unknown}/on-demand`, { enabled: true, monthlyLimit: 0 }, 404, 'not_found'],
  ['feature: unknown workspace', 'PUT', () => `${unknown}/features/chat`, { enabled: false }, 404, 'not_found'],
];

describe('refusals decided by the workflow or Stripe (404, 409, 402)', () => {
  it.each(cases)('%s: %s -> %i %s', async (_, method, url, body, status, code) => {
    expectRefusal(await call(method, url(), { body }), status, code);
  });

  it('changed nothing: the workspace and its invoices are as before', async () => {
    expect((await call('GET', ws)).body).toEqual(viewBefore);
    const invoices = (await call('GET', `${ws}/invoices`)).body.invoices;
    expect(invoices.map((i: { id: string }) => i.id)).toEqual([invoiceId]);
    const history = (await call('GET', `${ws}/usage/history`)).body.data;
    expect(history).toHaveLength(1);
  });
});
