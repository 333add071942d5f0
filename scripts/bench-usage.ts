// `npm run bench:usage`: throughput and latency of POST /v1/workspaces/:id/usage
// with concurrent clients, for one hot workspace and spread over many, next
// to pgbench running the same SQL transaction on the same Postgres.
// Not a test. Settings: BENCH_SECONDS (10), BENCH_CLIENTS (16),
// BENCH_WORKSPACES (1000), DATABASE_URL (else a throwaway embedded cluster),
// PGBENCH_PATH (else pgbench on PATH).
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool, type Pool } from '../src/db/pool';
import { auditBalances } from '../src/ledger/audit';
import { openTerm } from '../src/ledger/operations';
import { runHttpLoad } from './bench/http-load';
import { findPgbench, PGBENCH_MISSING, runPgbench } from './bench/pgbench';
import { benchDatabase, freePort } from './bench/postgres';
import type { RunStats } from './bench/stats';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clients = Number(process.env.BENCH_CLIENTS ?? 16);
const spread = Number(process.env.BENCH_WORKSPACES ?? 1000);
const HOT = 'bench-hot';
const cold = (i: number) => `bench-${String(i).padStart(4, '0')}`;

/** Workspaces as the workflow leaves them: a row plus term 0 opened with plenty of credits. */
async function seed(pool: Pool) {
  const now = Date.now();
  const ids = [HOT, ...Array.from({ length: spread }, (_, i) => cold(i + 1))];
  await pool.query(
    `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
     SELECT id, 'Bench', 'bench@example.com', '{"country":"US"}', 'enterprise', $2, $2, $3 FROM unnest($1::text[]) AS id`,
    [ids, new Date(now), new Date(now + 30 * 86_400_000)],
  );
  for (const id of ids) {
    await openTerm(pool, { workspaceId: id, termIndex: 0, termStart: now, termEnd: now + 30 * 86_400_000, plan: 'enterprise', planCredits: 1_000_000_000, planPriceCents: 0 });
  }
}

function startServer(databaseUrl: string, port: number) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const child = fork(path.join(here, 'bench', 'usage-server.ts'), [databaseUrl, String(port)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { ready, stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.disconnect())) };
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');
function row(scenario: string, via: string, s: RunStats) {
  return `${scenario.padEnd(26)} ${via.padEnd(8)} ${String(s.requests).padStart(9)} ${String(s.errors).padStart(6)} ${fmt(s.perSecond).padStart(10)} ${fmt(s.p50Ms, 2).padStart(8)} ${fmt(s.p99Ms, 2).padStart(8)}`;
}

async function main() {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const db = await benchDatabase(cleanups);
    const databaseUrl = db.url;
    const pgInfo = db.info;
    const pool = createPool(databaseUrl, 4);
    cleanups.unshift(() => pool.end());
    console.log(`seeding 1 hot + ${spread} workspaces ...`);
    await seed(pool);

    const port = await freePort();
    const server = startServer(databaseUrl, port);
    cleanups.unshift(server.stop);
    await server.ready;

    const pgbench = findPgbench();
    const scenarios = [
      { name: 'one hot workspace', workspaceFor: () => HOT, sql: `'${HOT}'` },
      { name: `${spread} workspaces`, workspaceFor: (n: number) => cold((n % spread) + 1), sql: `('bench-' || lpad(:w::text, 4, '0'))` },
    ];
    const results: Array<{ name: string; http: RunStats; sql: RunStats | null }> = [];
    for (const sc of scenarios) {
      console.log(`${sc.name}: HTTP, ${clients} clients, ${seconds}s ...`);
      const httpStats = await runHttpLoad({ port, clients, seconds, workspaceFor: sc.workspaceFor, label: `b${results.length}` });
      let sqlStats: RunStats | null = null;
      if (pgbench) {
        console.log(`${sc.name}: pgbench, ${clients} clients, ${seconds}s ...`);
        sqlStats = runPgbench({ pgbench, databaseUrl, clients, seconds, workspaceExpr: sc.sql, workspaces: sc.name.startsWith('one') ? 1 : spread });
      }
      results.push({ name: sc.name, http: httpStats, sql: sqlStats });
    }

    const audit = await auditBalances(pool);
    const consistent = audit.every((a) => a.consistent);

    console.log(`\nPOST /v1/workspaces/:id/usage vs the same SQL transaction in pgbench`);
    console.log(`Postgres: ${pgInfo}; ${clients} concurrent clients; ${seconds}s per run; ${os.availableParallelism()} CPUs shared by Postgres, API, load generator and pgbench\n`);
    console.log(`${'scenario'.padEnd(26)} ${'via'.padEnd(8)} ${'requests'.padStart(9)} ${'errors'.padStart(6)} ${'req/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    for (const r of results) {
      console.log(row(r.name, 'HTTP', r.http));
      if (r.sql) console.log(row(r.name, 'pgbench', r.sql));
      if (r.sql) {
        console.log(
          `${''.padEnd(26)} ratio    HTTP throughput = ${fmt((100 * r.http.perSecond) / r.sql.perSecond)}% of pgbench; ` +
            `p50 ${fmt(r.http.p50Ms / r.sql.p50Ms, 2)}x, p99 ${fmt(r.http.p99Ms / r.sql.p99Ms, 2)}x`,
        );
      }
    }
    console.log(`\nbalance cache == ledger sum for all ${audit.length} workspaces: ${consistent ? 'yes' : 'NO'}`);
    if (!pgbench) {
      console.error(`\n${PGBENCH_MISSING}`);
      process.exitCode = 1;
    }
    if (!consistent) process.exitCode = 1;
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
