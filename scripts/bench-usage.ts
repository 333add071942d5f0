// `npm run bench:usage`: throughput and latency of POST /v1/workspaces/:id/usage
// with concurrent clients, for one hot workspace and spread over many, next
// to pgbench on the same Postgres running the same SQL (usage_debit, one
// debit per transaction: what a debit that arrives alone is) and the minimal
// debit (a bare decrement, the floor of any design). Also debits per
// CPU-second of everything involved (scripts/bench/cpu-time.ts).
// Not a test. Settings: BENCH_SECONDS (10), BENCH_CLIENTS (64),
// BENCH_WORKSPACES (1000), DATABASE_URL (else a throwaway embedded cluster),
// PGBENCH_PATH (else pgbench on PATH), BENCH_DEBIT_IN_FLIGHT (the group-commit
// batcher's statements in flight, default 2).
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool } from '../src/db/pool';
import { auditBalances } from '../src/ledger/audit';
import { openTerm } from '../src/ledger/operations';
import { runHttpLoad } from './bench/http-load';
import { findPgbench, PGBENCH_MISSING, runPgbench, type DebitScript } from './bench/pgbench';
import { parentOf, postgresCpuMs, processCpuMs, reapedChildrenCpuMs } from './bench/cpu-time';
import { benchDatabase, freePort } from './bench/postgres';
import type { RunStats } from './bench/stats';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clients = Number(process.env.BENCH_CLIENTS ?? 64);
const spread = Number(process.env.BENCH_WORKSPACES ?? 1000);
const HOT = 'bench-hot';
const cold = (i: number) => `bench-${String(i).padStart(4, '0')}`;

const usageEvents = async (pool: Pool) => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_events')).rows[0]!.n;

/** Workspaces as the workflow leaves them: a row plus term 0 opened with plenty of credits. */
async function seed(pool: Pool) {
  const now = Date.now();
  const ids = [HOT, ...Array.from({ length: spread }, (_, i) => cold(i + 1))];
  await pool.query(
    `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
     SELECT id, 'Bench', 'bench@example.com', '{"country":"US"}', 'enterprise', $2, $2, $3 FROM unnest($1::text[]) AS id`,
    [ids, new Date(now), new Date(now + 30 * 86_400_000)],
  );
  // The minimal debit's own table: decrementing credit_balances bare would break the ledger audit.
  await pool.query(`CREATE TABLE bench_minimal_balances (id text PRIMARY KEY, balance bigint NOT NULL)`);
  await pool.query(`INSERT INTO bench_minimal_balances SELECT id, 1000000000 FROM unnest($1::text[]) AS id`, [ids]);
  for (const id of ids) {
    await openTerm(pool, { workspaceId: id, termIndex: 0, termStart: now, termEnd: now + 30 * 86_400_000, plan: 'enterprise', planCredits: 1_000_000_000, planPriceCents: 0 });
  }
}

function startServer(databaseUrl: string, port: number) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'bench', 'usage-server.ts'), [databaseUrl, String(port)], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])], stdio: 'inherit' });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { pid: child.pid!, ready, stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.disconnect())) };
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
/** Debits per second of CPU spent by Postgres and the client side together. */
const perCpuSecond = (s: RunStats & { cpuMs: number }) => s.requests / (s.cpuMs / 1000);
function row(scenario: string, via: string, s: RunStats & { cpuMs: number }) {
  return `${scenario.padEnd(26)} ${via.padEnd(8)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(6)} ${fmt(s.perSecond).padStart(10)} ${fmt(s.p50Ms, 2).padStart(8)} ${fmt(s.p99Ms, 2).padStart(8)} ${fmt(perCpuSecond(s)).padStart(12)}`;
}

async function main() {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const db = await benchDatabase();
    cleanups.unshift(db.stop);
    const { databaseUrl } = db;
    const pgInfo = db.description;
    const pool = createPool(databaseUrl, 4);
    cleanups.unshift(() => pool.end());
    console.log(`seeding 1 hot + ${spread} workspaces ...`);
    await seed(pool);

    const port = await freePort();
    const server = startServer(databaseUrl, port);
    cleanups.unshift(server.stop);
    await server.ready;

    const pgbench = findPgbench();
    // CPU of everything involved, so a loaded shared machine can be compared across runs:
    // Postgres (postmaster and all its processes) + the API process + this process (the load generator) or pgbench.
    const postmaster = parentOf((await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    const cpuNow = () => ({ pg: postgresCpuMs(postmaster), api: processCpuMs(server.pid), self: process.cpuUsage(), reaped: reapedChildrenCpuMs() });
    const cpuSince = (t0: ReturnType<typeof cpuNow>, via: 'http' | 'pgbench') => {
      const t1 = cpuNow();
      const self = process.cpuUsage(t0.self);
      const client = via === 'http' ? t1.api - t0.api + (self.user + self.system) / 1000 : t1.reaped - t0.reaped;
      return t1.pg - t0.pg + client;
    };
    const scenarios = [
      { name: 'one hot workspace', workspaceFor: () => HOT, sql: `'${HOT}'`, workspaces: 1 },
      { name: `${spread} workspaces`, workspaceFor: (n: number) => cold((n % spread) + 1), sql: `('bench-' || lpad(:w::text, 4, '0'))`, workspaces: spread },
    ];
    type Run = RunStats & { cpuMs: number };
    const results: Array<{ name: string; http: Run; sql: Run | null; minimal: Run | null }> = [];
    for (const sc of scenarios) {
      console.log(`${sc.name}: HTTP, ${clients} clients, ${seconds}s ... (load ${os.loadavg()[0]!.toFixed(2)})`);
      let cpu0 = cpuNow();
      const httpStats = { ...(await runHttpLoad({ port, clients, seconds, workspaceFor: sc.workspaceFor, label: `b${results.length}` })), cpuMs: cpuSince(cpu0, 'http') };
      let sqlStats: Run | null = null;
      let minimalStats: Run | null = null;
      if (pgbench) {
        console.log(`${sc.name}: pgbench, same SQL and minimal debit, ${clients} clients, ${seconds}s each ...`);
        const before = await usageEvents(pool);
        const run = (script: DebitScript) => runPgbench({ pgbench, databaseUrl, clients, seconds, workspaceExpr: sc.sql, workspaces: sc.workspaces, script });
        cpu0 = cpuNow();
        const raw = run('usage');
        const rawCpu = cpuSince(cpu0, 'pgbench');
        // Count debits, not transactions: a refused debit would be a transaction to pgbench.
        const applied = (await usageEvents(pool)) - before;
        sqlStats = { ...raw, requests: applied, errors: raw.errors + raw.requests - applied, perSecond: applied / raw.seconds, cpuMs: rawCpu };
        cpu0 = cpuNow();
        const minimal = run('minimal');
        minimalStats = { ...minimal, cpuMs: cpuSince(cpu0, 'pgbench') };
      }
      results.push({ name: sc.name, http: httpStats, sql: sqlStats, minimal: minimalStats });
    }

    const audit = await auditBalances(pool);
    const consistent = audit.every((a) => a.consistent);

    console.log(`\nPOST /v1/workspaces/:id/usage vs pgbench running the same SQL, and the minimal debit`);
    console.log(`Postgres: ${pgInfo}; ${clients} concurrent clients; ${seconds}s per run; ${os.availableParallelism()} CPUs shared by Postgres, API, load generator and pgbench; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    console.log(`${'scenario'.padEnd(26)} ${'via'.padEnd(8)} ${'requests'.padStart(9)} ${'errors'.padStart(6)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'per CPU-s'.padStart(12)}`);
    for (const r of results) {
      console.log(row(r.name, 'HTTP', r.http));
      if (r.sql) console.log(row(r.name, 'pgbench', r.sql));
      if (r.minimal) console.log(row(r.name, 'minimal', r.minimal));
    }
    console.log(`(pgbench: one debit per transaction; requests = debits applied. minimal: UPDATE ... SET balance = balance - 1 WHERE id = $1 AND balance >= 1 RETURNING balance.`);
    console.log(` per CPU-s: debits per second of CPU used by Postgres plus the client side (API process and load generator, or pgbench); other load on the machine shrinks req/s, much less this)`);
    console.log(`\ntargets (issue 15):`);
    for (const r of results) {
      if (r.sql) console.log(`  ${r.name}: HTTP ${fmt(r.http.perSecond / r.sql.perSecond, 2)}x pgbench same SQL (target >= 1.0x); per CPU-second ${fmt(perCpuSecond(r.http) / perCpuSecond(r.sql), 2)}x`);
      if (r.minimal) console.log(`  ${r.name}: HTTP ${fmt(r.http.perSecond / r.minimal.perSecond, 2)}x pgbench minimal debit (aim >= 0.5x); per CPU-second ${fmt(perCpuSecond(r.http) / perCpuSecond(r.minimal), 2)}x`);
    }
    const spreadRun = results[1];
    if (spreadRun) console.log(`  ${spreadRun.name}: HTTP p99 ${fmt(spreadRun.http.p99Ms, 2)} ms at ${clients} clients (target <= 20 ms)`);
    console.log(`\nbalance cache == ledger sum for all ${audit.length} workspaces: ${consistent ? 'yes' : 'NO'}`);
    if (!pgbench) {
      console.error(`\n${PGBENCH_MISSING}`);
      process.exitCode = 1;
    }
    const overdrawn = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM credit_balances WHERE plan_balance < 0 OR purchased_balance < 0`)).rows[0]!.n;
    console.log(`no balance below zero: ${overdrawn === 0 ? 'yes' : `NO (${overdrawn})`}`);
    const httpErrors = results.reduce((n, r) => n + r.http.errors, 0);
    console.log(`HTTP requests answered other than 200: ${httpErrors}`);
    if (!consistent || overdrawn > 0) process.exitCode = 1;
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
