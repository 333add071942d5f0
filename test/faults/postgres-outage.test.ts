// Issue 7: Postgres goes away for a few seconds under a steady usage load.
// While it is down every usage request fails cleanly (503 database_unavailable
// with Retry-After, quickly, never a 500 or a hang), /healthz says so, nothing
// is half-applied, and the service answers 200 again by itself once Postgres is
// back (same process, same pool). Requests refused with 503 are retried with
// their idempotency key afterwards and apply exactly once in total.
//
// The file runs its own throwaway embedded cluster: stopping it disturbs no
// other test file (the run's shared Postgres is never touched).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrateUp } from '../../src/db/migrate';
import { createPool, DEFAULT_CONNECTION_TIMEOUT_MS, type Pool } from '../../src/db/pool';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { creditCost } from '../../src/domain/metering';
import { buildApp, type App } from '../../src/http/app';
import { healthRoutes } from '../../src/http/routes/health';
import { usageRoutes } from '../../src/http/routes/usage';
import { auditBalances } from '../../src/ledger/audit';
import { createTestWorkspace } from '../helpers/ledger';
import { freePort } from '../setup/free-port';

const TOKEN = 'outage-token';
const WORKERS = 8;
const WORKSPACES = 4;
const INITIAL_CREDITS = 1_000_000;
/** The app's pool waits at most this long for a connection. */
const POOL_CONNECT_TIMEOUT_MS = 2_000;
/** The load's HTTP client gives up after this: a hang shows up as a 'timeout' result. */
const CLIENT_TIMEOUT_MS = 8_000;
/** A 503 must come back well before the client would give up. */
const MAX_503_MS = POOL_CONNECT_TIMEOUT_MS + 2_000;
const DOWN_MS = 3_500;
const RECOVERY_BOUND_MS = 10_000;

const pricing = loadPricing();

interface UsageRequest {
  idempotencyKey: string;
  memberId: string;
  action: string;
  feature: string;
  tokens?: number;
}

interface Attempt {
  ws: string;
  body: UsageRequest;
  start: number;
  end: number;
  /** HTTP status, or how the client failed. */
  status: number | 'timeout' | 'network';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  retryAfter: string | null;
  replayed: boolean;
}

let cluster: RunningPostgres | undefined;
let dataRoot: string;
let pool: Pool;
let app: App;
let base: string;
const poolIdleErrors: string[] = [];
/** The app's warn/error log lines (pino JSON): which driver errors became 503s, and any 500. */
const appLog: Array<{ level: number; msg: string; err?: { message?: string; code?: string } }> = [];
/**
 * Errors nothing handled (a pg client emitting 'error' with no listener would
 * crash a real process). Vitest would also report them; recording them makes
 * the outage test itself fail.
 */
const uncaught: string[] = [];
const recordUncaught = (err: unknown) => void uncaught.push(String(err));

beforeAll(async () => {
  process.on('uncaughtException', recordUncaught);
  process.on('unhandledRejection', recordUncaught);
  dataRoot = mkdtempSync(path.join(os.tmpdir(), 'billing-outage-pg-'));
  chmodSync(dataRoot, 0o755); // as root, Postgres runs as the `postgres` user and must reach its data dir
  // persistent: stop() keeps the data directory so the cluster can start again on it
  cluster = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'data'), port: await freePort(), persistent: true, fsync: false });
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE billing_outage');
  await admin.end();
  const url = cluster.urlFor('billing_outage');
  await migrateUp(url);

  pool = createPool(url, 8, { connectionTimeoutMillis: POOL_CONNECT_TIMEOUT_MS });
  pool.on('error', (err) => poolIdleErrors.push(err.message));
  const logger = pino({ level: 'warn' }, { write: (line: string) => void appLog.push(JSON.parse(line)) });
  app = await buildApp({ tokens: { api: TOKEN, read: 'outage-read-token' }, logger, routes: [healthRoutes({ pool }), usageRoutes({ pool, pricing })] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await cluster?.stop();
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
  process.off('uncaughtException', recordUncaught);
  process.off('unhandledRejection', recordUncaught);
});

async function postUsage(ws: string, body: UsageRequest): Promise<Attempt> {
  const start = Date.now();
  const done = (status: Attempt['status'], json: unknown = null, headers?: Headers): Attempt => ({
    ws,
    body,
    start,
    end: Date.now(),
    status,
    json,
    retryAfter: headers?.get('retry-after') ?? null,
    replayed: headers?.get('idempotent-replayed') === 'true',
  });
  try {
    const res = await fetch(`${base}/v1/workspaces/${ws}/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
    });
    return done(res.status, await res.json(), res.headers);
  } catch (err) {
    return done(err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'network', String(err));
  }
}

async function getHealth() {
  const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) });
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

async function until<T>(what: string, boundMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + boundMs;
  for (;;) {
    const found = probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${boundMs} ms`);
    await sleep(20);
  }
}

const costOf = (body: UsageRequest) => {
  const cost = creditCost(pricing, body.action, body.tokens);
  if (!cost.ok) throw new Error(cost.message);
  return cost.credits;
};

/**
 * WORKERS clients in a loop, each request with a fresh idempotency key, spread
 * over the workspaces; a mix of flat (1 credit) and token-metered (1-20
 * credits) actions so a double debit changes the totals. A client pauses 5 ms
 * between requests, 50 ms after a 503 (it backs off a little, not for the full
 * Retry-After, so the outage sees a steady stream).
 */
function startLoad(workspaces: string[], prefix: string) {
  const attempts: Attempt[] = [];
  let running = true;
  let n = 0;
  const worker = async (w: number) => {
    while (running) {
      const i = n++;
      const body: UsageRequest =
        i % 3 === 0
          ? { idempotencyKey: `${prefix}-${i}`, memberId: `member-${w}`, action: 'ai_assist', feature: 'chat', tokens: 1 + ((i * 7919) % 20_000) }
          : { idempotencyKey: `${prefix}-${i}`, memberId: `member-${w}`, action: 'chat_question', feature: 'chat' };
      const attempt = await postUsage(workspaces[i % workspaces.length]!, body);
      attempts.push(attempt);
      await sleep(attempt.status === 503 ? 50 : 5);
    }
  };
  const done = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return {
    attempts,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

const summary = (attempts: Attempt[]) => {
  const counts = new Map<string, number>();
  for (const a of attempts) counts.set(String(a.status), (counts.get(String(a.status)) ?? 0) + 1);
  return Object.fromEntries(counts);
};

describe('Postgres outage under a usage load (own embedded cluster)', () => {
  it.each([
    { variant: 'fast shutdown (stop)', outage: () => cluster!.stop() },
    { variant: 'crash (SIGKILL of the postmaster and every backend)', outage: () => cluster!.kill() },
  ])('$variant: 503 + Retry-After while down, nothing half-applied, recovers by itself', async ({ variant, outage }) => {
    const prefix = variant.startsWith('fast') ? 'stop' : 'kill';
    const now = Date.now();
    const workspaces: string[] = [];
    for (let w = 0; w < WORKSPACES; w++) {
      workspaces.push(
        await createTestWorkspace(pool, { id: `outage-${prefix}-${w}`, planCredits: INITIAL_CREDITS, termStart: now - 86_400_000, termEnd: now + 29 * 86_400_000 }),
      );
    }
    expect((await getHealth()).status).toBe(200);
    const logFrom = appLog.length;
    const idleErrorsFrom = poolIdleErrors.length;

    // 1. steady load against a healthy database
    const load = startLoad(workspaces, prefix);
    await until('50 successful requests before the outage', 20_000, () => load.attempts.filter((a) => a.status === 200).length >= 50);

    // 2. Postgres goes away mid-load and stays away for DOWN_MS
    const tStop = Date.now();
    await outage();
    const tDown = Date.now();
    // These waits are the fault itself: the outage lasts DOWN_MS while the load keeps coming.
    await sleep(DOWN_MS / 2);
    const healthDown = await getHealth();
    await sleep(DOWN_MS / 2);

    // 3. it comes back on the same data directory and port; the app is not touched
    const tRestart = Date.now();
    await cluster!.start();
    const tUp = Date.now();
    const firstOk = await until('a 200 after Postgres is back', RECOVERY_BOUND_MS, () => load.attempts.find((a) => a.start >= tUp && a.status === 200));
    await until('50 answers after the first 200', RECOVERY_BOUND_MS, () => load.attempts.filter((a) => a.start > firstOk.end).length >= 50);
    await load.stop();
    const healthUp = await getHealth();
    const attempts = load.attempts;

    // -- answers during the run: only 200 or a clean, quick 503; never 500, never a hang
    expect(summary(attempts.filter((a) => a.status !== 200 && a.status !== 503)), 'answers other than 200/503').toEqual({});
    const refused = attempts.filter((a) => a.status === 503);
    for (const a of refused) {
      expect(a.json).toEqual({ error: { code: 'database_unavailable', message: expect.stringMatching(/database is unavailable/) } });
      expect(a.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(a.end - a.start, `503 for ${a.body.idempotencyKey} took too long`).toBeLessThan(MAX_503_MS);
    }
    expect(appLog.slice(logFrom).filter((l) => l.level >= 50), 'no unhandled (500) errors logged').toEqual([]);
    expect(uncaught, 'errors nothing handled (a crash in production)').toEqual([]);

    // while Postgres was fully down, every request was refused
    const whileDown = attempts.filter((a) => a.start >= tDown && a.end <= tRestart);
    expect(whileDown.length, 'requests while Postgres was down').toBeGreaterThanOrEqual(20);
    expect(summary(whileDown)).toEqual({ 503: whileDown.length });
    expect(healthDown.status).toBe(503);
    expect(healthDown.body).toEqual({ status: 'degraded', checks: { postgres: expect.stringMatching(/^error: /) } });

    // before the outage everything succeeded; after it, the same pool serves again
    expect(summary(attempts.filter((a) => a.end < tStop))).toEqual({ 200: attempts.filter((a) => a.end < tStop).length });
    expect(firstOk.end - tUp, 'time from Postgres up to the first 200').toBeLessThan(RECOVERY_BOUND_MS);
    const afterRecovery = attempts.filter((a) => a.start > firstOk.end);
    expect(afterRecovery.length).toBeGreaterThan(20);
    expect(summary(afterRecovery)).toEqual({ 200: afterRecovery.length });
    expect(healthUp).toEqual({ status: 200, body: { status: 'ok', checks: { postgres: 'ok' } } });

    // -- nothing half-applied, nothing applied while down
    const keysOf = async (keys: string[]) =>
      new Set(
        (await pool.query<{ k: string }>(`SELECT idempotency_key AS k FROM usage_events WHERE workspace_id = ANY($1) AND idempotency_key = ANY($2)`, [workspaces, keys]))
          .rows.map((r) => r.k),
      );
    expect([...(await keysOf(whileDown.map((a) => a.body.idempotencyKey)))], 'usage recorded while Postgres was down').toEqual([]);
    // a 503 on the way down or up may belong to a transaction that committed
    // just before its connection broke: the retry must replay it, not debit again
    const committedBefore503 = await keysOf(refused.map((a) => a.body.idempotencyKey));

    // -- retry every refused request with the same key and body
    const retries = await mapLimit(refused, WORKERS, (a) => postUsage(a.ws, a.body));
    for (const r of retries) {
      expect(r.status, `retry of ${r.body.idempotencyKey}: ${JSON.stringify(r.json)}`).toBe(200);
      expect(r.replayed, `retry of ${r.body.idempotencyKey} replayed`).toBe(committedBefore503.has(r.body.idempotencyKey));
      expect(r.json.creditsCharged).toBe(costOf(r.body));
    }
    // a request that succeeded also replays (and debits nothing more)
    const succeeded = attempts.filter((a) => a.status === 200);
    const replays = await mapLimit(succeeded.slice(-5), 5, (a) => postUsage(a.ws, a.body));
    replays.forEach((r, i) => {
      expect(r.status).toBe(200);
      expect(r.replayed).toBe(true);
      expect(r.json).toEqual(succeeded.at(-5 + i)!.json);
    });
    for (const a of succeeded) expect(a.json.creditsCharged).toBe(costOf(a.body));

    // every key sent has exactly one usage event; the 200s and the retried 503s are all of them
    const sent = new Map(attempts.map((a) => [a.body.idempotencyKey, a]));
    expect(sent.size, 'each load request had its own key').toBe(attempts.length);
    const { rows: events } = await pool.query<{ key: string; workspace_id: string; n: number }>(
      `SELECT idempotency_key AS key, workspace_id, count(*)::int AS n FROM usage_events WHERE workspace_id = ANY($1) GROUP BY 1, 2`,
      [workspaces],
    );
    expect(events.filter((e) => e.n !== 1)).toEqual([]);
    expect(new Set(events.map((e) => e.key))).toEqual(new Set(sent.keys()));
    for (const e of events) expect(e.workspace_id).toBe(sent.get(e.key)!.ws);

    // every usage event has its ledger entries (summing to its credits), and every usage ledger entry its event
    const { rows: unmatched } = await pool.query(
      `SELECT e.idempotency_key, e.credits, coalesce(-sum(l.amount), 0)::int AS ledger
       FROM usage_events e LEFT JOIN credit_ledger l ON l.workspace_id = e.workspace_id AND l.idempotency_key = 'usage:' || e.idempotency_key
       WHERE e.workspace_id = ANY($1)
       GROUP BY e.id HAVING e.credits <= 0 OR coalesce(-sum(l.amount), 0) <> e.credits`,
      [workspaces],
    );
    expect(unmatched).toEqual([]);
    const { rows: orphans } = await pool.query(
      `SELECT l.* FROM credit_ledger l
       WHERE l.workspace_id = ANY($1) AND l.kind <> 'grant'
         AND NOT EXISTS (SELECT 1 FROM usage_events e WHERE e.workspace_id = l.workspace_id AND 'usage:' || e.idempotency_key = l.idempotency_key)`,
      [workspaces],
    );
    expect(orphans).toEqual([]);

    // balance cache = ledger sum, and final credits = initial - the costs of the distinct keys
    const audits = await auditBalances(pool);
    expect(audits.filter((a) => !a.consistent)).toEqual([]);
    for (const ws of workspaces) {
      const spent = [...sent.values()].filter((a) => a.ws === ws).reduce((sum, a) => sum + costOf(a.body), 0);
      expect(spent).toBeGreaterThan(0);
      expect(audits.find((a) => a.workspaceId === ws)!.cache).toEqual({ plan: INITIAL_CREDITS - spent, purchased: 0, overageUsed: 0, unbilledShortfall: 0 });
    }

    const causes = new Set(appLog.slice(logFrom).filter((l) => l.msg === 'database unavailable').map((l) => l.err?.code ?? l.err?.message));
    console.log(
      `${variant}: ${attempts.length} requests ${JSON.stringify(summary(attempts))}; ${whileDown.length} while down; ` +
        `outage took ${tDown - tStop} ms, restart ${tUp - tRestart} ms, first 200 ${firstOk.end - tUp} ms after; ` +
        `${refused.length} retried (${committedBefore503.size} had committed before their 503, replayed); ` +
        `idle-client errors handled ${poolIdleErrors.length - idleErrorsFrom}; 503 causes: ${[...causes].join(' | ')}`,
    );
  });
});

describe('the connection breaks after the commit reached Postgres', () => {
  it('answers 503, and the retry with the same key replays the committed debit instead of debiting again', async () => {
    // A TCP proxy in front of the cluster that, once armed, forwards the
    // statement that commits the debit and then cuts the connection instead of
    // passing Postgres' reply on: the debit is committed but the API never
    // hears it. A debit commits with its one statement (the prepared
    // 'usage-debit'; 'usage-debit-many' for debits batched together).
    const target = Number(new URL(cluster!.adminUrl).port);
    let armed = false;
    let cut = 0;
    const proxy = net.createServer((downstream) => {
      const upstream = net.connect(target, '127.0.0.1');
      let cutOnReply = false;
      const closeBoth = () => (downstream.destroy(), upstream.destroy());
      for (const s of [downstream, upstream]) s.on('error', closeBoth).on('close', closeBoth);
      downstream.on('data', (chunk: Buffer) => {
        // the Parse/Bind messages name the prepared statement; COMMIT is a simple-protocol Query
        if (armed && (chunk.includes('usage-debit\0') || chunk.includes('usage-debit-many\0'))) {
          armed = false;
          cutOnReply = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (!cutOnReply) return void downstream.write(chunk);
        cut++;
        downstream.resetAndDestroy();
        upstream.destroy();
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyUrl = new URL(cluster!.urlFor('billing_outage'));
    proxyUrl.port = String((proxy.address() as AddressInfo).port);
    const proxiedPool = createPool(proxyUrl.toString(), 2);
    proxiedPool.on('error', () => undefined);
    const proxied = await buildApp({ tokens: { api: TOKEN, read: 'outage-read-token' }, routes: [usageRoutes({ pool: proxiedPool, pricing })] });
    try {
      const ws = await createTestWorkspace(pool, { id: 'outage-commit-lost', planCredits: 100 });
      const body = { idempotencyKey: 'commit-lost-1', memberId: 'alice', action: 'ai_assist', feature: 'chat', tokens: 7_000 };
      const post = () => proxied.inject({ method: 'POST', url: `/v1/workspaces/${ws}/usage`, headers: { authorization: `Bearer ${TOKEN}` }, payload: body });

      armed = true;
      const lost = await post();
      expect(cut).toBe(1);
      expect(lost.statusCode).toBe(503);
      expect(lost.headers['retry-after']).toMatch(/^[1-9]\d*$/);
      expect(lost.json().error.code).toBe('database_unavailable');
      // it did commit
      expect((await pool.query(`SELECT count(*)::int AS n FROM usage_events WHERE workspace_id = $1`, [ws])).rows[0].n).toBe(1);

      const retry = await post();
      expect(retry.statusCode).toBe(200);
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect(retry.json()).toEqual({ creditsCharged: 7, buckets: { plan: 7, purchased: 0, overage: 0 }, balance: { plan: 93, purchased: 0, total: 93 }, unbilledShortfall: 0 });
      const [audit] = await auditBalances(pool, ws);
      expect(audit).toMatchObject({ consistent: true, cache: { plan: 93 } });
      expect((await pool.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE workspace_id = $1 AND kind = 'consumption'`, [ws])).rows[0].n).toBe(1);
      expect(uncaught).toEqual([]);
    } finally {
      await proxied.close();
      await proxiedPool.end();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});

describe('the errors node-postgres really throws when it cannot reach the server are "unavailable"', () => {
  /** A TCP server that accepts and then does `onSocket` (never answers, or resets). */
  async function fakeServer(onSocket: (s: net.Socket) => void) {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => undefined);
      onSocket(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
      url: `postgres://u:p@127.0.0.1:${port}/db`,
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }
  const errorOf = (p: Promise<unknown>) => p.then(() => expect.unreachable('query succeeded'), (err: unknown) => err as Error);

  it('nothing listening: ECONNREFUSED', async () => {
    const p = createPool(`postgres://u:p@127.0.0.1:${await freePort()}/db`, 1, { connectionTimeoutMillis: 1_000 });
    const err = await errorOf(p.query('SELECT 1'));
    await p.end();
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it('a server that never answers: the default connect timeout, then the pool checkout timeout (no hang)', async () => {
    const server = await fakeServer(() => undefined);
    const p = createPool(server.url, 1); // the production default
    const started = Date.now();
    const [first, queued] = await Promise.all([errorOf(p.query('SELECT 1')), errorOf(p.query('SELECT 2'))]);
    const waited = Date.now() - started;
    await p.end();
    await server.close();
    expect(waited).toBeGreaterThanOrEqual(DEFAULT_CONNECTION_TIMEOUT_MS - 50);
    expect(waited).toBeLessThan(DEFAULT_CONNECTION_TIMEOUT_MS + 2_000);
    expect(first.message).toBe('Connection terminated due to connection timeout');
    expect(queued.message).toBe('timeout exceeded when trying to connect');
    expect(isDatabaseUnavailable(first)).toBe(true);
    expect(isDatabaseUnavailable(queued)).toBe(true);
  });

  it('a server that drops the connection', async () => {
    const server = await fakeServer((s) => s.resetAndDestroy());
    const p = createPool(server.url, 1, { connectionTimeoutMillis: 1_000 });
    const err = await errorOf(p.query('SELECT 1'));
    await p.end();
    await server.close();
    expect(isDatabaseUnavailable(err), `${(err as { code?: string }).code} ${err.message}`).toBe(true);
  });
});
