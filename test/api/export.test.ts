// GET /v1/workspaces/:id/export (rule 12) is streamed from Postgres cursors:
// chunked, complete, valid JSON, and its connection goes back to the pool.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { buildApp, type App } from '../../src/http/app';
import { exportRoutes } from '../../src/http/routes/export';
import { checkAndDebit } from '../../src/ledger/check-and-debit';
import { createTestWorkspace } from '../helpers/ledger';

const USAGE_ROWS = 50_000;
let pool: Pool;
let app: App;
let port: number;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 2);
  app = await buildApp({ tokens: { api: 'full-token', read: 'read-token' }, routes: [exportRoutes({ pool })] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

/** The raw answer: headers as sent on the wire, and the body. */
function getRaw(path: string, opts: { abortAfterFirstChunk?: boolean } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: { authorization: 'Bearer read-token' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (opts.abortAfterFirstChunk) {
          req.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', (err) => (opts.abortAfterFirstChunk ? undefined : reject(err)));
  });
}

async function workspaceWithUsage(): Promise<string> {
  const ws = await createTestWorkspace(pool, { planCredits: 10 });
  const pricing = loadPricing();
  for (let i = 0; i < 3; i++) {
    await checkAndDebit(pool, pricing, { workspaceId: ws, idempotencyKey: `real-${i}`, memberId: 'alice', action: 'chat_question', feature: 'chat' });
  }
  // Many rows, inserted directly (the ledger of these is not what this test is about).
  await pool.query(
    `INSERT INTO usage_events (workspace_id, idempotency_key, request_hash, member_id, action, feature, tokens, credits,
       plan_credits, purchased_credits, overage_credits, shortfall_credits, already_performed, term_index, response)
     SELECT $1, 'bulk-' || g, 'h', 'member-' || (g % 7), 'ai_assist', 'assist', g, 1, 1, 0, 0, 0, false, 0, '{}'
     FROM generate_series(1, $2::int) AS g`,
    [ws, USAGE_ROWS],
  );
  return ws;
}

const checkedOut = () => pool.totalCount - pool.idleCount;

describe('GET /v1/workspaces/:id/export', () => {
  it('streams a complete, valid JSON export of a workspace with 50,000 usage rows (chunked, no content-length)', async () => {
    const ws = await workspaceWithUsage();

    const res = await getRaw(`/v1/workspaces/${ws}/export`);

    expect(res.status).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${ws}-export.json"`);
    const doc = JSON.parse(res.body) as {
      exportedAt: string;
      workspace: { id: string; balance: { plan: number } };
      usage: Array<{ at: string; memberId: string; action: string; feature: string; tokens: number | null; credits: number }>;
      ledger: Array<{ kind: string; bucket: string; amount: number; termIndex: number }>;
      invoices: unknown[];
    };
    expect(Object.keys(doc)).toEqual(['exportedAt', 'workspace', 'usage', 'ledger', 'invoices']);
    expect(doc.workspace).toMatchObject({ id: ws, balance: { plan: 7 } });
    expect(doc.usage).toHaveLength(USAGE_ROWS + 3);
    // Newest first, as the usage history pages them.
    expect(doc.usage[0]).toEqual({ at: expect.any(String), memberId: `member-${USAGE_ROWS % 7}`, action: 'ai_assist', feature: 'assist', tokens: USAGE_ROWS, credits: 1 });
    expect(doc.usage.at(-1)).toEqual({ at: expect.any(String), memberId: 'alice', action: 'chat_question', feature: 'chat', tokens: null, credits: 1 });
    expect(new Set(doc.usage.map((u) => u.tokens)).size).toBe(USAGE_ROWS + 1); // 50,000 distinct + null
    expect(doc.ledger.map((l) => [l.kind, l.bucket, l.amount])).toEqual([
      ['grant', 'plan', 10],
      ['consumption', 'plan', -1],
      ['consumption', 'plan', -1],
      ['consumption', 'plan', -1],
    ]);
    expect(doc.invoices).toEqual([]);
    expect(checkedOut()).toBe(0);
  });

  it('a reader that goes away mid-stream gives its connection back', async () => {
    const ws = await workspaceWithUsage();
    const partial = await getRaw(`/v1/workspaces/${ws}/export`, { abortAfterFirstChunk: true });
    expect(partial.status).toBe(200);
    await vi.waitFor(() => expect(checkedOut()).toBe(0), { timeout: 10_000 });
    expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('an unknown workspace is a 404 and holds no connection', async () => {
    const res = await getRaw('/v1/workspaces/nope-404/export');
    expect(res.status).toBe(404);
    expect(checkedOut()).toBe(0);
  });
});
