// `npm start` as a user runs it, for end-to-end tests: a temporary state
// folder, every port moved to a free one, the installed tools named through
// their *_PATH variables (so scripts/tools.mjs installs nothing), and the
// start-up banner read back.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { projectRoot, stateDir } from '../../src/state-dir';
import { freePortOutsideEphemeralRange } from '../setup/free-port';

export const PORT_VARIABLES = ['PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'EMBEDDED_PG_PORT', 'STRIPE_SANDBOX_PORT', 'TEMPORAL_METRICS_PORT'] as const;
export type PortVariable = (typeof PORT_VARIABLES)[number];

/** tools.json names -> the variables scripts/tools.mjs takes them from. */
const TOOL_VARIABLES: Record<string, string> = {
  temporalTestServer: 'TEMPORAL_TEST_SERVER_PATH',
  temporalCli: 'TEMPORAL_CLI_PATH',
  stripeMock: 'STRIPE_MOCK_PATH',
  chromium: 'CHROMIUM_PATH',
  pdftoppm: 'PDFTOPPM_PATH',
  pdftotext: 'PDFTOTEXT_PATH',
};

export interface StartEnv {
  state: string;
  ports: Record<PortVariable, number>;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

/** A fresh state folder and free ports (below the ephemeral range, so they stay free across restarts). */
export async function startEnv(): Promise<StartEnv> {
  const state = mkdtempSync(path.join(os.tmpdir(), 'billing-npm-start-'));
  chmodSync(state, 0o755); // embedded Postgres runs as the `postgres` user when we are root
  mkdirSync(path.join(state, 'tools'));
  copyFileSync(path.join(stateDir(), 'tools', 'tools.json'), path.join(state, 'tools', 'tools.json'));
  const tools = JSON.parse(readFileSync(path.join(state, 'tools', 'tools.json'), 'utf8')) as Record<string, string | null>;
  const toolVariables = Object.entries(TOOL_VARIABLES).flatMap(([name, variable]) => (tools[name] ? [[variable, tools[name]]] : []));
  const ports = {} as Record<PortVariable, number>;
  for (const name of PORT_VARIABLES) ports[name] = await freePortOutsideEphemeralRange();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BILLING_STATE_DIR: state,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    ...Object.fromEntries(toolVariables),
  };
  for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'STRIPE_SECRET_KEY', 'BILLING_API_TOKEN', 'BILLING_READ_TOKEN', 'NOTIFY_WEBHOOK_URL', 'HOST', 'BILLING_API_URL', 'TEMPORAL_UI_URL']) {
    delete env[name];
  }
  return { state, ports, env, remove: () => rmSync(state, { recursive: true, force: true }) };
}

export interface Started {
  /** `npm` (how: 'npm') or the launcher scripts/start.mjs (how: 'launcher'); in a process group of its own. */
  child: ChildProcess;
  output(): string;
  /** The `  Name   value` lines of the start-up banner. */
  banner: Record<string, string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the service and waits for its banner. */
export async function launch(env: NodeJS.ProcessEnv, how: 'npm' | 'launcher'): Promise<Started> {
  const [cmd, args] = how === 'npm' ? ['npm', ['start']] : [process.execPath, ['scripts/start.mjs']];
  // Its own process group, like a terminal's foreground job.
  const child = spawn(cmd, args, { cwd: projectRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes('Ctrl-C stops everything.') && resolve();
    child.stdout!.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
  const banner = Object.fromEntries([...output.matchAll(/^ {2}(API token|Read token|Temporal UI|[A-Za-z]+) +(\S+)/gm)].map((m) => [m[1]!, m[2]!]));
  return { child, output: () => output, banner, exited };
}

/** What src/main.ts stops at the end, in this order. */
export const STOP_ORDER = [
  'service (http, dispatcher, worker drain)',
  'worker connection',
  'temporal client',
  'stripe sandbox',
  'temporal dev server',
  'postgres pool',
  'postgres',
];

export const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

export interface StartedService {
  /** http://127.0.0.1:<port>, without /v1. */
  api: string;
  apiToken: string;
  output: () => string;
  /** Ctrl-C (SIGINT) to the process group, waits for the exit, removes the state folder. */
  stop(): Promise<void>;
}

/** The launcher on a fresh state folder and free ports, ready once it printed its banner. */
export async function npmStart(): Promise<StartedService> {
  const started = await startEnv();
  let service: Started;
  try {
    service = await launch(started.env, 'launcher');
  } catch (err) {
    started.remove();
    throw err;
  }
  const stop = async () => {
    const { child } = service;
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid!, 'SIGINT');
      const killer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000);
      await service.exited;
      clearTimeout(killer);
    }
    started.remove();
  };
  return { api: service.banner.API!.replace(/\/v1$/, ''), apiToken: service.banner['API token']!, output: service.output, stop };
}
