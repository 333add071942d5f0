// `npm start` as a new user runs it: a fresh state folder, the embedded stack
// (Postgres, Temporal dev server with UI, Stripe sandbox), the printed
// addresses answering, then Ctrl-C: the signal reaches the launcher's whole
// process group, as a terminal sends it, and everything stops in order.
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, metricSample, workspaceBody } from '../helpers/http';
import { launch, portOpen, startEnv, STOP_ORDER, type Started, type StartEnv } from '../helpers/npm-start';
import { uniqueId } from '../helpers/workspaces';

let started: Started;
let at: StartEnv;
let state: string;
let output = '';
let ports: StartEnv['ports'];
let printed: Record<string, string>;
let launcher: Started['child'];

beforeAll(async () => {
  at = await startEnv();
  ({ state, ports } = at);
  started = await launch(at.env, 'launcher');
  launcher = started.child;
  printed = started.banner;
  output = started.output();
});
afterAll(async () => {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) process.kill(-launcher.pid!, 'SIGKILL');
  at?.remove();
});

describe('npm start on a fresh state folder', () => {
  it('prints the addresses it serves on the configured ports, and a loud sandbox banner', () => {
    expect(printed.API).toBe(`http://127.0.0.1:${ports.PORT}/v1`);
    expect(printed['Temporal UI']).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}`);
    expect(printed.Workspace).toBe(`http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/namespaces/default/workflows?query=BillingWorkspaceId%3D%22<id>%22`);
    expect(printed.Temporal).toBe(`127.0.0.1:${ports.TEMPORAL_DEV_PORT}`);
    expect(output).toContain(`LOCAL SANDBOX at http://127.0.0.1:${ports.STRIPE_SANDBOX_PORT}`);
    expect(output).toContain('NO REAL MONEY MOVES');
    // Where invoice events point finance (PUBLIC_BASE_URL unset: HOST and PORT).
    expect(output).toContain(`events' pdfUrl under http://127.0.0.1:${ports.PORT} (PUBLIC_BASE_URL)`);
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

  it('binds the API to 127.0.0.1 only (HOST unset), as the banner says', async () => {
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    expect(lan, 'this machine has a non-loopback IPv4 address to try').toBeDefined();
    const reached = await new Promise<boolean>((resolve) => {
      const s = net.connect(ports.PORT, lan!);
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    expect(reached).toBe(false);
    expect(await portOpen(ports.PORT)).toBe(true);
  });

  it('Ctrl-C (SIGINT to the process group) stops everything in order and exits 0', async () => {
    process.kill(-launcher.pid!, 'SIGINT');
    expect((await started.exited).code).toBe(0);
    output = started.output();
    const stopped = [...output.matchAll(/"msg":"([^"]+) stopped"/g)].map((m) => m[1]);
    expect(stopped).toEqual(STOP_ORDER);
    expect(output.match(/.*(failed to stop|terminating connection).*/g) ?? []).toEqual([]);
    // A clean Postgres shutdown removes its pid file; nothing listens any more.
    expect(existsSync(path.join(state, 'postgres', 'postmaster.pid'))).toBe(false);
    for (const name of ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'STRIPE_SANDBOX_PORT'] as const) {
      expect(await portOpen(ports[name]), name).toBe(false);
    }
  });
});
