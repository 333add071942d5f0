// `npm start` as a user runs it, for end-to-end tests that need the whole
// thing: scripts/start.mjs on a fresh state folder and free ports, in its own
// process group (as a terminal's job), ready once it printed its banner.
// stop() sends Ctrl-C (SIGINT) to the group and waits for it to exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, stateDir } from '../../src/state-dir';
import { freePort } from '../setup/free-port';

export interface StartedService {
  /** http://127.0.0.1:<port>, without /v1. */
  api: string;
  apiToken: string;
  output: () => string;
  stop(): Promise<void>;
}

const PORTS = ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'STRIPE_SANDBOX_PORT', 'TEMPORAL_METRICS_PORT'];

export async function npmStart(): Promise<StartedService> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'billing-npm-start-'));
  chmodSync(state, 0o755); // embedded Postgres runs as the `postgres` user when we are root
  mkdirSync(path.join(state, 'tools'));
  copyFileSync(path.join(stateDir(), 'tools', 'tools.json'), path.join(state, 'tools', 'tools.json'));
  const env: NodeJS.ProcessEnv = { ...process.env, BILLING_STATE_DIR: state };
  for (const name of PORTS) env[name] = String(await freePort());
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_SECRET_KEY', 'BILLING_API_TOKEN', 'BILLING_READ_TOKEN', 'NOTIFY_WEBHOOK_URL']) delete env[name];
  const launcher: ChildProcess = spawn(process.execPath, ['scripts/start.mjs'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const stop = async () => {
    if (launcher.exitCode === null && launcher.signalCode === null) {
      process.kill(-launcher.pid!, 'SIGINT');
      const killer = setTimeout(() => process.kill(-launcher.pid!, 'SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = () => output.includes('Ctrl-C stops everything.') && resolve();
      launcher.stdout!.on('data', onData);
      launcher.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const banner = (name: string) => new RegExp(`^ {2}${name} +(\\S+)`, 'm').exec(output)?.[1];
  return { api: banner('API')!.replace(/\/v1$/, ''), apiToken: banner('API token')!, output: () => output, stop };
}
