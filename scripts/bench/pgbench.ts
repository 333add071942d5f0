// pgbench running the check-and-debit transaction's own SQL (the statements
// of src/ledger/debit-sql.ts) with literal parameters, so the HTTP numbers
// can be compared with what Postgres alone does for the same work.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lockForDebit, readForDebit, writeDebit, writeDebitIfUnchanged } from '../../src/ledger/debit-sql';
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

/** $n -> SQL text; longest numbers first so $17 is not read as $1 followed by 7. */
function bind(sql: string, params: Record<number, string>): string {
  return Object.keys(params)
    .map(Number)
    .sort((a, b) => b - a)
    .reduce((text, n) => text.replaceAll(`$${n}`, params[n]!), sql);
}

export type DebitPath = 'optimistic' | 'locked';

/**
 * One usage debit of 1 plan credit, as the API issues it: optimistic (read;
 * compare-and-set write, no explicit transaction) or locked (BEGIN; lock;
 * write; COMMIT), the way a contended workspace goes.
 */
export function debitScript(workspaceExpr: string, workspaces: number, path: DebitPath): string {
  const key = `'pgb-' || :client_id || '-' || :r`;
  const response = `'{"creditsCharged":1,"buckets":{"plan":1,"purchased":0,"overage":0},"balance":{"plan":999,"purchased":0,"total":999},"unbilledShortfall":0}'`;
  const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();
  const write = {
    1: workspaceExpr, 2: `(${key})`, 3: `'bench'`, 4: `'bench-member'`, 5: `'chat_question'`, 6: `'chat'`, 7: 'NULL',
    8: '1', 9: '0', 10: '0', 11: '0', 12: 'false', 13: '0', 14: response, 15: 'false', 16: 'false', 17: `'[]'`,
  };
  const head = [`\\set w random(1, ${workspaces})`, '\\set r random(1, 9000000000000000000)'];
  if (path === 'locked') {
    return [
      ...head,
      'BEGIN;',
      `${oneLine(bind(lockForDebit, { 1: workspaceExpr, 2: `'chat'` }))};`,
      `${oneLine(bind(writeDebit, write))};`,
      'COMMIT;',
      '',
    ].join('\n');
  }
  // \gset keeps the row read in variables named after its columns, for the compare-and-set.
  const unchanged = {
    ...write, 13: ':term_index', 18: ':plan_balance', 19: ':purchased_balance', 20: ':overage_used', 21: ':unbilled_shortfall',
    22: ':low_notified::boolean', 23: ':exhausted_notified::boolean', // -M prepared: sent as parameters
  };
  return [
    ...head,
    `${oneLine(bind(readForDebit, { 1: workspaceExpr, 2: `'chat'` }))} \\gset`,
    `${oneLine(bind(writeDebitIfUnchanged, unchanged))};`,
    '',
  ].join('\n');
}

export function runPgbench(opts: { pgbench: string; databaseUrl: string; clients: number; seconds: number; workspaceExpr: string; workspaces: number; path: DebitPath }): RunStats {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-pgbench-'));
  try {
    const script = path.join(dir, 'debit.sql');
    writeFileSync(script, debitScript(opts.workspaceExpr, opts.workspaces, opts.path));
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
