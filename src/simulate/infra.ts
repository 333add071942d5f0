// The servers a simulation runs on: a Postgres (DATABASE_URL, else an
// embedded throwaway cluster, as tests do) with a scratch database per run,
// and Temporal's time-skipping test server whose clock starts at the
// scenario's start.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../db/embedded-postgres';
import { createScratchDatabase } from '../db/scratch-database';
import { freePort } from '../net/free-port';
import { toolPaths } from '../state-dir';

/** Stop actions, run most recent first; one list per process so a signal stops everything. */
export class Stops {
  /** Every list with something left to stop, newest first (a signal stops them all). */
  private static readonly active: Stops[] = [];
  private readonly list: Array<[string, () => Promise<unknown>]> = [];
  private running: Promise<void> | null = null;

  push(name: string, stop: () => Promise<unknown>): void {
    if (!Stops.active.includes(this)) Stops.active.unshift(this);
    this.list.unshift([name, stop]);
  }

  /** Runs every stop once; a second caller (a signal during a run's own clean-up) waits for the same run. */
  runAll(log: (msg: string) => void = () => undefined): Promise<void> {
    this.running ??= this.stopAll(log).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async stopAll(log: (msg: string) => void): Promise<void> {
    while (this.list.length) {
      const [name, stop] = this.list.shift()!;
      await stop().catch((err: unknown) => log(`stopping ${name} failed: ${(err as Error).message}`));
    }
    const i = Stops.active.indexOf(this);
    if (i >= 0) Stops.active.splice(i, 1);
  }

  static async stopEverything(log?: (msg: string) => void): Promise<void> {
    for (const stops of [...Stops.active]) await stops.runAll(log);
  }
}

export interface PostgresServer {
  /** A fresh, migrated database, dropped by `stops`. */
  scratchDatabase(stops: Stops): Promise<string>;
}

/** DATABASE_URL's server, else an embedded cluster in a temp folder (stopped and deleted by `stops`). */
export async function startPostgres(stops: Stops): Promise<PostgresServer> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'billing-simulate-pg-'));
    chmodSync(dataRoot, 0o755); // embedded Postgres runs as the `postgres` user when we are root
    stops.push('postgres folder', async () => rmSync(dataRoot, { recursive: true, force: true }));
    const cluster: RunningPostgres = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'data'), port: await freePort(), persistent: false });
    stops.push('postgres', () => cluster.stop());
    adminUrl = cluster.adminUrl;
  }
  const server = adminUrl;
  return {
    async scratchDatabase(runStops) {
      const { url, drop } = await createScratchDatabase(server, `billing_simulate_${process.pid}`);
      runStops.push('scratch database', drop);
      return url;
    },
  };
}

/**
 * The time-skipping server with its wall clock stopped at `start` (libfaketime
 * preloaded): virtual time is then exactly `start` and moves only when we skip
 * it, so every event runs at its exact instant whatever the machine's speed.
 * Monotonic clocks run (the server's long polls must end before the worker's
 * deadline, or it hands tasks to polls the worker has given up: workflows then
 * stall). libfaketime 0.9.10 (Debian's) times monotonic condition waits
 * against the faked wall clock, so without FAKETIME_WAIT_MS they return at
 * once and two server threads spin (about 1.5 CPUs while idle; fixed upstream
 * in wolfcw/libfaketime#503); with it every timed wait lasts at most 10 ms of
 * real time and the waiter checks its own deadline again.
 */
export async function startClockedTestServer(start: number, stops: Stops): Promise<TestWorkflowEnvironment> {
  const { temporalTestServer, faketime } = toolPaths();
  if (!temporalTestServer) throw new Error('the Temporal test server is not installed: run `npm run tools`');
  if (!faketime) throw new Error('libfaketime is not installed (Debian: apt-get install faketime): run `npm run tools`');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'billing-simulate-temporal-'));
  stops.push('test server wrapper', async () => rmSync(dir, { recursive: true, force: true }));
  const whole = Math.floor(start / 1000) * 1000;
  // libfaketime's absolute form without '@' stops the clock at that instant (local time: TZ=UTC).
  const frozenAt = new Date(whole).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
  const wrapper = path.join(dir, 'temporal-test-server');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      `export LD_PRELOAD=${JSON.stringify(faketime)} FAKETIME=${JSON.stringify(frozenAt)} TZ=UTC`,
      'export FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=1 FAKETIME_WAIT_MS=10 FAKETIME_DONT_RESET=1',
      `exec ${JSON.stringify(temporalTestServer)} "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: wrapper } } });
  stops.push('temporal test server', () => env.teardown());
  if (start > whole) await env.sleep(start - whole);
  const now = await env.currentTimeMs();
  if (now !== start) throw new Error(`the test server's clock reads ${new Date(now).toISOString()}, not the scenario's start ${new Date(start).toISOString()}`);
  return env;
}
