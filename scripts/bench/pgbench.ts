// pgbench running the check-and-debit path's own SQL (the statement of
// src/ledger/debit-sql.ts) with literal parameters, and the minimal debit, so the HTTP numbers
// can be compared with what Postgres alone does for the same work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debitOne } from '../../src/ledger/debit-sql';
import { summarize, type RunStats } from './stats';

export function findPgbench(): string | null {
  if (process.env.PGBENCH_PATH) return process.env.PGBENCH_PATH;
  const r = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export const PGBENCH_MISSING = [
  'pgbench was not found on PATH (or PGBENCH_PATH). It ships with the PostgreSQL client tools:',
  '  Debian/Ubuntu: apt-get install postgresql-client-15   (or postgresql-contrib)',
  '  macOS:         brew install libpq && brew link --force libpq',
].join('\n');

/** $n -> SQL text; longest numbers first so $10 is not read as $1 followed by 0. */
function bind(sql: string, params: Record<number, string>): string {
  return Object.keys(params)
    .map(Number)
    .sort((a, b) => b - a)
    .reduce((text, n) => text.replaceAll(`$${n}`, params[n]!), sql);
}

/**
 * `usage`: one usage debit of 1 plan credit per transaction, the statement the
 * API sends for a debit that arrives alone (usage_debit). `minimal`: the floor
 * of any design, a bare decrement of a balance column in a table of its own
 * (bench_minimal_balances, seeded by the benchmark), no event, ledger or outbox.
 */
export type DebitScript = 'usage' | 'minimal';

export function debitScript(workspaceExpr: string, workspaces: number, script: DebitScript): string {
  const head = [`\\set w random(1, ${workspaces})`, '\\set r random(1, 9000000000000000000)'];
  if (script === 'minimal') {
    return [...head, `UPDATE bench_minimal_balances SET balance = balance - 1 WHERE id = ${workspaceExpr} AND balance >= 1 RETURNING balance;`, ''].join('\n');
  }
  const key = `'pgb-' || :client_id || '-' || :r`;
  const call = bind(debitOne, {
    1: workspaceExpr, 2: `(${key})`, 3: `'bench'`, 4: `'bench-member'`, 5: `'chat_question'`, 6: `'chat'`, 7: 'NULL', 8: '1', 9: 'false', 10: '10',
  });
  return [...head, `${call};`, ''].join('\n');
}

export function runPgbench(opts: { pgbench: string; databaseUrl: string; clients: number; seconds: number; workspaceExpr: string; workspaces: number; script: DebitScript }): RunStats {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-pgbench-'));
  try {
    const script = path.join(dir, 'debit.sql');
    writeFileSync(script, debitScript(opts.workspaceExpr, opts.workspaces, opts.script));
    const threads = Math.min(opts.clients, Math.max(1, os.availableParallelism()));
    const args = ['-n', '-M', 'prepared', '-c', String(opts.clients), '-j', String(threads), '-T', String(opts.seconds),
      '-f', script, '-l', '--log-prefix', path.join(dir, 'log'), opts.databaseUrl];
    const r = spawnSync(opts.pgbench, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pgbench failed (${r.status}):\n${r.stderr}\n${r.stdout}`);
    // per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us
    const latencies: number[] = [];
    for (const f of readdirSync(dir).filter((n) => n.startsWith('log'))) {
      for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const us = Number(line.split(' ')[2]);
        if (line && Number.isFinite(us)) latencies.push(us / 1000);
      }
    }
    const failed = /number of failed transactions: (\d+)/.exec(r.stdout);
    return summarize(latencies, failed ? Number(failed[1]) : 0, opts.seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
