// `npm start` as a new user runs it: a fresh state folder, the embedded stack
// (Postgres, Temporal dev server with UI, Stripe sandbox), the printed
// addresses answering, then Ctrl-C: the signal reaches the launcher's whole
// process group, as a terminal sends it, and everything stops in order.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, stateDir } from '../../src/state-dir';
import { freePort } from '../setup/free-port';
import { apiClient, metricSample, workspaceBody } from '../helpers/http';
import { uniqueId } from '../helpers/workspaces';

let launcher: ChildProcess;
let state: string;
let output = '';
const ports: Record<string, number> = {};
let printed: Record<string, string>;

/** The `  Name   value` lines of the start-up banner. */
function banner(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/^ {2}(API token|Read token|Temporal UI|[A-Za-z]+) +(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

beforeAll(async () => {
  state = mkdtempSync(path.join(os.tmpdir(), 'billing-npm-start-'));
  chmodSync(state, 0o755); // embedded Postgres runs as the `postgres` user when we are root
  mkdirSync(path.join(state, 'tools'));
  copyFileSync(path.join(stateDir(), 'tools', 'tools.json'), path.join(state, 'tools', 'tools.json'));
  for (const name of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'STRIPE_SANDBOX_PORT', 'TEMPORAL_METRICS_PORT']) {
    ports[name] = await freePort();
  }
  const env: NodeJS.ProcessEnv = { ...process.env, BILLING_STATE_DIR: state, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_SECRET_KEY', 'BILLING_API_TOKEN', 'BILLING_READ_TOKEN', 'NOTIFY_WEBHOOK_URL']) delete env[name];
  // Its own process group, like a terminal's foreground job: the group gets the Ctrl-C below.
  launcher = spawn(process.execPath, ['scripts/start.mjs'], { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  launcher.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  launcher.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes('Ctrl-C stops everything.') && resolve();
    launcher.stdout!.on('data', onData);
    launcher.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  printed = banner(output);
});
afterAll(async () => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) process.kill(-launcher.pid!, 'SIGKILL');
  if (state) rmSync(state, { recursive: true, force: true });
});

describe('npm start on a fresh state folder', () => {
  it('prints the addresses it serves on the configured ports, and a loud sandbox banner', () => {
    expect(printed.API).toBe(`http://127.0.0.1:${ports.PORT}/v1`);
    expect(printed['Temporal UI']).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
    expect(printed.Temporal).toBe(`127.0.0.1:${ports.TEMPORAL_DEV_PORT}`);
    expect(output).toContain(`LOCAL SANDBOX at http://127.0.0.1:${ports.STRIPE_SANDBOX_PORT}`);
    expect(output).toContain('NO REAL MONEY MOVES');
    expect(printed['API token']).toMatch(/^bk_full_/);
    expect(existsSync(path.join(state, 'tokens.json'))).toBe(true);
  });

  it('answers on every printed address, and the worker runs workflows', async () => {
    const call = apiClient(printed.API!.replace(/\/v1$/, ''), printed['API token']!);
    expect((await call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok', checks: { postgres: 'ok', temporal: 'ok' } });
    expect((await fetch(printed.Health!)).status).toBe(200);
    expect(((await (await fetch(printed.OpenAPI!)).json()) as { openapi: string }).openapi).toMatch(/^3\./);
    const ui = await fetch(printed['Temporal UI']!);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<html');
    const id = uniqueId('start');
    expect((await call('POST', '/v1/workspaces', { body: workspaceBody(id) })).status).toBe(201);
    const metrics = await (await fetch(printed.Metrics!)).text();
    expect(metricSample(metrics, 'billing_http_request_duration_seconds_count', { method: 'POST', route: '/v1/workspaces', status: '201' })).toBe(1);
    // The SDK runtime's exporter, installed by main.ts.
    expect(metrics).toMatch(/^temporal_worker_task_slots_available\{/m);
  });

  it('Ctrl-C (SIGINT to the process group) stops everything in order and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
    process.kill(-launcher.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    const stopped = [...output.matchAll(/"msg":"([^"]+) stopped"/g)].map((m) => m[1]);
    expect(stopped).toEqual([
      'service (http, dispatcher, worker drain)',
      'worker connection',
      'temporal client',
      'stripe sandbox',
      'temporal dev server',
      'postgres pool',
      'postgres',
    ]);
    expect(output).not.toMatch(/failed to stop|terminating connection/);
    // A clean Postgres shutdown removes its pid file; nothing listens any more.
    expect(existsSync(path.join(state, 'postgres', 'postmaster.pid'))).toBe(false);
    for (const name of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'STRIPE_SANDBOX_PORT']) {
      expect(await portOpen(ports[name]!), name).toBe(false);
    }
  });
});
