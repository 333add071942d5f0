// SIGINT, SIGTERM or SIGHUP to any process of a real `npm start` (npm, the
// launcher scripts/start.mjs, src/main.ts, the Postgres postmaster, the
// Temporal dev server) stops everything in order: no process left, every port
// free, /healthz gone. One state folder and one set of ports for all the
// cases, each a fresh `npm start` (the tools come from their *_PATH variables,
// so scripts/tools.mjs installs nothing). Every kind of process and every
// signal is covered; not every pair, to keep the run short.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, PORT_VARIABLES, portOpen, startEnv, STOP_ORDER, type Started, type StartEnv } from '../helpers/npm-start';
import { gone, processTree, type ProcessInfo } from '../helpers/processes';

type Kind = 'npm' | 'launcher' | 'main' | 'postgres' | 'dev server';

const CASES: Array<[Kind, NodeJS.Signals]> = [
  ['npm', 'SIGTERM'],
  ['npm', 'SIGINT'],
  ['npm', 'SIGHUP'],
  ['launcher', 'SIGHUP'],
  ['main', 'SIGTERM'],
  ['postgres', 'SIGTERM'],
  ['postgres', 'SIGHUP'],
  ['dev server', 'SIGINT'],
  ['dev server', 'SIGHUP'],
];

let at: StartEnv;
let running: Started | undefined;
/** The processes of the case running now. */
let tree: ProcessInfo[] = [];

beforeAll(async () => {
  at = await startEnv();
});
afterAll(async () => {
  // A failed case: take down whatever is left of it.
  if (running) for (const p of tree) if (!gone(p.pid)) process.kill(p.pid, 'SIGKILL');
  at?.remove();
});

function kindOf(p: ProcessInfo, tree: ProcessInfo[], npmPid: number): Kind | null {
  if (p.pid === npmPid) return 'npm';
  if (p.cmd.includes('scripts/start.mjs')) return 'launcher';
  if (p.cmd.includes('src/main.ts')) return 'main';
  if (p.cmd.includes('server start-dev')) return 'dev server';
  const parent = tree.find((x) => x.pid === p.ppid);
  if (/(^|\/)postgres /.test(p.cmd) && parent?.cmd.includes('src/main.ts')) return 'postgres';
  return null;
}

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const healthz = () =>
  fetch(`http://127.0.0.1:${at.ports.PORT}/healthz`).then(
    (r) => r.status,
    () => null,
  );

describe('a signal to any process of npm start stops everything', () => {
  it.each(CASES)('%s gets %s', async (kind, signal) => {
    running = await launch(at.env, 'npm');
    const npmPid = running.child.pid!;
    expect(await healthz()).toBe(200);
    tree = processTree(npmPid);
    const byKind = new Map<Kind, number>();
    for (const p of tree) {
      const k = kindOf(p, tree, npmPid);
      if (k && !byKind.has(k)) byKind.set(k, p.pid);
    }
    expect([...byKind.keys()].sort()).toEqual(['dev server', 'launcher', 'main', 'npm', 'postgres']);
    const postgresBackends = tree.filter((p) => p.ppid === byKind.get('postgres'));
    expect(postgresBackends.length).toBeGreaterThan(0);

    process.kill(byKind.get(kind)!, signal);

    await until('every process of npm start to exit', () => tree.every((p) => gone(p.pid)));
    await running.exited;
    const left = [];
    for (const name of PORT_VARIABLES) if (await portOpen(at.ports[name])) left.push(name);
    expect(left, 'ports still listening').toEqual([]);
    expect(await healthz()).toBeNull();
    // main.ts went through its ordered stop (a part already gone when its turn came counts as stopped).
    const steps = [...running.output().matchAll(/"msg":"(.+?) (?:stopped|failed to stop)"/g)].map((m) => m[1]);
    expect(steps).toEqual(STOP_ORDER);
    running = undefined;
  }, 300_000); // a start and a stop on a loaded machine
});
