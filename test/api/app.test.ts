import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { buildApp, type App } from '../../src/http/app';
import { CodedError } from '../../src/domain/failure-codes';
import { healthRoutes } from '../../src/http/routes/health';
import { rawRequest } from '../helpers/raw-http';

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
        a.get('/v1/param/:p', async () => ({ pong: true }));
        a.get('/v1/busy', async () => {
          throw new CodedError('still_processing', 'still working on it');
        });
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

  it('a refusal that says when to retry carries Retry-After', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/busy', headers: { authorization: 'Bearer full-token' } });
    expect([res.statusCode, res.headers['retry-after'], res.json()]).toEqual([503, '5', { error: { code: 'still_processing', message: 'still working on it' } }]);
  });

  it('unknown routes answer 404 in the error shape, with a request id', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/nothing', headers: { authorization: 'Bearer full-token' } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /v1/nothing' } });
    expect(res.headers['x-request-id']).toBeTruthy();
  });

  // Found by test/api/fuzz.test.ts: refusals made before any route runs had Fastify's or Node's own body.
  describe('refusals before routing are in the error shape too (over a real socket)', () => {
    let base: string;
    beforeAll(async () => {
      base = await app.listen({ port: 0, host: '127.0.0.1' });
    });

    it.each([
      ['a path parameter over 100 characters', 422, 'validation_failed', `/v1/param/${'p'.repeat(101)}`, {}],
      ['a malformed escape in the path', 400, 'bad_url', '/v1/param/%zz', {}],
      ['raw UTF-8 in the request line', 400, 'malformed_request', '/v1/param/é', {}],
      ['a control character in a header', 400, 'malformed_request', '/v1/ping', { 'x-note': 'a\u0001b' }],
      ['headers over 16 KiB', 431, 'headers_too_large', '/v1/ping', { 'x-note': 'n'.repeat(17_000) }],
    ] as const)('%s -> %i %s', async (_name, status, code, target, headers) => {
      const res = await rawRequest(base, { method: 'GET', target, headers: { authorization: 'Bearer full-token', ...headers } });
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual({ error: { code, message: expect.stringMatching(/.{10}/) } });
    });
  });

  it('serves an OpenAPI document', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().openapi).toMatch(/^3\./);
    expect(Object.keys(res.json().paths)).toContain('/healthz');
  });
});
