// A refused sign-up (declined first payment, card rejected at attach) creates
// nothing: over real HTTP against the Temporal dev server, the Stripe sandbox
// and Postgres, the id answers 404 afterwards and a new attempt with any body
// creates the workspace with a fresh invoice; the void one keeps its number.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { apiClient, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

let stack: Stack;
let call: ApiCall;
let pool: Pool;

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
  pool = createPool(inject('databaseUrl'), 2);
});
afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

async function invoicesOf(id: string) {
  const { rows } = await pool.query<{ id: string; number: string; status: string; total_cents: number }>(
    `SELECT id, number, status, total_cents FROM invoices WHERE workspace_id = $1 ORDER BY number`,
    [id],
  );
  return rows;
}

describe('a refused sign-up creates nothing', () => {
  it.each([
    ['the first payment is declined', 'pm_card_chargeCustomerFail'],
    ['the card is declined (at attach or at the first charge)', 'pm_card_chargeDeclined'],
  ])('%s: 402, then 404, then a new attempt with another body is created (201) with a fresh invoice', async (_name, card) => {
    const id = uniqueId('signup-refused');
    const refused = await call('POST', '/v1/workspaces', { body: workspaceBody(id, { plan: 'pro', paymentMethod: card }) });
    expect(refused.status).toBe(402);

    expect((await call('GET', `/v1/workspaces/${id}`)).status).toBe(404);
    expect((await call('GET', `/v1/workspaces/${id}/invoices`)).status).toBe(404);
    expect((await call('POST', `/v1/workspaces/${id}/usage`, { body: usageBody('u-1') })).status).toBe(404);
    const before = await invoicesOf(id);
    expect(before.every((i) => i.status === 'void')).toBe(true);

    const created = await call('POST', '/v1/workspaces', {
      body: workspaceBody(id, { plan: 'pro', paymentMethod: 'pm_card_visa', name: 'Acme, second try' }),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id, plan: 'pro', status: 'active', balance: { plan: 100, purchased: 0, total: 100 } });
    expect((await call('GET', `/v1/workspaces/${id}`)).body).toEqual(created.body);

    const after = await invoicesOf(id);
    const paid = after.filter((i) => i.status === 'paid');
    expect(paid).toHaveLength(1);
    expect(before.map((i) => i.id)).not.toContain(paid[0]!.id);
    // The void invoice keeps its number (numbers are gapless) and stays void.
    expect(after.filter((i) => i.status === 'void')).toEqual(before);
  });

  it('the identical request again after a decline is a new attempt with its own invoice: declined again, not 503 on the void invoice', async () => {
    const id = uniqueId('signup-retry');
    const body = workspaceBody(id, { plan: 'pro', paymentMethod: 'pm_card_chargeCustomerFail' });
    expect((await call('POST', '/v1/workspaces', { body })).status).toBe(402);
    const again = await call('POST', '/v1/workspaces', { body });
    expect(again.status).toBe(402);
    expect(again.body.error.code).toBe('payment_failed');
    expect((await call('GET', `/v1/workspaces/${id}`)).status).toBe(404);
    const invoices = await invoicesOf(id);
    expect(invoices.map((i) => i.status)).toEqual(['void', 'void']);
  });
});
