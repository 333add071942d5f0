// PUT /v1/workspaces/:id/low-balance (rule 11): the workspace's credits.low
// threshold, set through the workflow (an Update with a validator) and synced
// to the read model the usage hot path decides on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/http/app';
import { lifecycleRoutes } from '../../src/http/routes/lifecycle';
import { usageRoutes } from '../../src/http/routes/usage';
import { workspaceReadRoutes } from '../../src/http/routes/workspace-read';
import { BillingTestEnv, pricing } from '../helpers/billing-env';

const full = { authorization: 'Bearer full-token' };
const read = { authorization: 'Bearer read-token' };
let t: BillingTestEnv;
let app: App;

beforeAll(async () => {
  t = await BillingTestEnv.create();
  app = await buildApp({
    tokens: { api: 'full-token', read: 'read-token' },
    routes: [
      lifecycleRoutes({ workflows: t.workflows, pricing: () => pricing, pool: t.pool }),
      workspaceReadRoutes({ pool: t.pool }),
      usageRoutes({ pool: t.pool, pricing }),
    ],
  });
});
afterAll(async () => {
  await app?.close();
  await t?.teardown();
});

const put = (id: string, payload: unknown, headers = full) =>
  app.inject({ method: 'PUT', url: `/v1/workspaces/${id}/low-balance`, headers, payload: payload as object });
const view = async (id: string) => (await app.inject({ method: 'GET', url: `/v1/workspaces/${id}`, headers: read })).json<{ lowBalanceThreshold: number | null }>();

async function lowEvents(id: string) {
  const { rows } = await t.pool.query<{ payload: { threshold: number; balance: { total: number } } }>(
    `SELECT payload FROM outbox_events WHERE workspace_id = $1 AND type = 'credits.low' ORDER BY id`,
    [id],
  );
  return rows.map((r) => r.payload);
}

describe('PUT /v1/workspaces/:id/low-balance', () => {
  it('sets the threshold in credits: GET shows it and credits.low is sent once the balance falls below it', async () => {
    const id = 'low-balance-set';
    await t.create({ id, plan: 'free' }); // 25 credits: the default threshold is 2.5
    expect((await view(id)).lowBalanceThreshold).toBeNull();

    const res = await put(id, { threshold: 20 });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ threshold: 20 });
    expect((await view(id)).lowBalanceThreshold).toBe(20);
    expect((await t.state(id)).workspace.lowBalanceThreshold).toBe(20);
    expect(await t.useCredits(id, 5)).toBe(5); // 20 left: not below 20
    expect(await lowEvents(id)).toEqual([]);
    expect(await t.useCredits(id, 1)).toBe(1); // 19 left
    expect(await lowEvents(id)).toEqual([expect.objectContaining({ threshold: 20, balance: expect.objectContaining({ total: 19 }) })]);
  });

  it('null restores the default (10% of the plan allocation)', async () => {
    const id = 'low-balance-reset';
    await t.create({ id, plan: 'free' });
    expect((await put(id, { threshold: 0 })).statusCode).toBe(200);
    expect((await view(id)).lowBalanceThreshold).toBe(0);

    const res = await put(id, { threshold: null });

    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ threshold: null });
    expect((await view(id)).lowBalanceThreshold).toBeNull();
    expect(await t.useCredits(id, 22)).toBe(22); // 3 left: not below 2.5
    expect(await lowEvents(id)).toEqual([]);
    expect(await t.useCredits(id, 1)).toBe(1); // 2 left
    expect(await lowEvents(id)).toEqual([expect.objectContaining({ threshold: 2.5 })]);
  });

  it.each([
    ['a negative number', { threshold: -1 }],
    ['a fraction', { threshold: 1.5 }],
    ['a string', { threshold: '10' }],
    ['more than 1,000,000,000 credits', { threshold: 1_000_000_001 }],
    ['no threshold', {}],
    ['an unknown field', { threshold: 5, percent: 10 }],
  ])('refuses %s with 422 and changes nothing', async (_name, body) => {
    const id = 'low-balance-bad';
    if (!(await t.pool.query(`SELECT 1 FROM workspaces WHERE id = $1`, [id])).rowCount) await t.create({ id, plan: 'free' });
    const before = await view(id);

    const res = await put(id, body);

    expect(res.statusCode).toBe(422);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('validation_failed');
    expect(await view(id)).toEqual(before);
  });

  it('is a write: 403 for the read-only token, and nothing changes', async () => {
    const id = 'low-balance-read';
    await t.create({ id, plan: 'free' });
    const res = await put(id, { threshold: 7 }, read);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('forbidden');
    expect((await view(id)).lowBalanceThreshold).toBeNull();
  });

  it("the workflow's validator refuses a bad threshold too, before it reaches the history", async () => {
    const id = 'low-balance-validator';
    await t.create({ id, plan: 'free' });
    await expect(t.workflows.setLowBalanceThreshold(id, { threshold: -5 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.setLowBalanceThreshold(id, { threshold: 2.5 })).rejects.toMatchObject({ code: 'validation_failed' });
    expect((await t.state(id)).workspace.lowBalanceThreshold).toBeUndefined();
  });

  it('each read-model write of the workflow carries a higher version (issue 11: versioned sync)', async () => {
    const id = 'low-balance-versions';
    await t.create({ id, plan: 'free' });
    const version = async () => (await t.pool.query<{ v: number }>(`SELECT sync_version AS v FROM workspaces WHERE id = $1`, [id])).rows[0]!.v;
    const created = await version();
    expect(created).toBeGreaterThan(0);
    expect((await put(id, { threshold: 4 })).statusCode).toBe(200);
    const after = await version();
    expect(after).toBeGreaterThan(created);
  });

  it('404 for an unknown workspace', async () => {
    const res = await put('low-balance-nobody', { threshold: 7 });
    expect(res.statusCode).toBe(404);
  });
});
