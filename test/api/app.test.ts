import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { buildApp, type App } from '../../src/http/app';
import { healthRoutes } from '../../src/http/routes/health';

const tokens = { api: 'full-token', read: 'read-token' };
let pool: Pool;
let app: App;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 2);
  app = await buildApp({
    tokens,
    routes: [
      healthRoutes({ pool }),
      (a) => {
        a.get('/v1/ping', async () => ({ pong: true }));
        a.post('/v1/ping', async () => ({ pong: true }));
      },
    ],
  });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('HTTP app skeleton', () => {
  it('healthz checks Postgres without a token', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', checks: { postgres: 'ok' } });
  });

  it.each([
    [undefined, 'GET', 401],
    ['Bearer nope', 'GET', 401],
    ['Basic full-token', 'GET', 401],
    ['Bearer read-token', 'GET', 200],
    ['Bearer read-token', 'POST', 403],
    ['Bearer full-token', 'POST', 200],
  ])('authorization %s on %s -> %i', async (authorization, method, status) => {
    const res = await app.inject({
      method: method as 'GET' | 'POST',
      url: '/v1/ping',
      headers: authorization ? { authorization } : {},
    });
    expect(res.statusCode).toBe(status);
    if (status !== 200) expect(res.json().error.code).toBe(status === 401 ? 'unauthorized' : 'forbidden');
  });

  it('unknown routes answer 404 in the error shape, with a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing', headers: { authorization: 'Bearer full-token' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /v1/nothing' } });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  it('serves an OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toMatch(/^3\./);
    expect(Object.keys(res.json().paths)).toContain('/healthz');
  });
});
