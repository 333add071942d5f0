// Runs `temporal server start-dev` from the installed CLI: the embedded
// Temporal for `npm start`, with its UI, a SQLite file in the state folder (so
// workflows survive a restart) and our search attributes registered.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { billingSearchAttributes } from '../../workflows/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number, exited: () => string | null): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = exited();
    if (why) throw new Error(why);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(200);
  }
  throw new Error(`Temporal dev server did not listen on ${port} within ${timeoutMs} ms`);
}

export async function startDevServer(opts: {
  cli: string;
  stateDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** Custom search attributes to create at start (name -> type); ours by default. */
  searchAttributes?: Record<string, string>;
  /** Called when the server exits while stop() was not called (a signal to it, a crash). */
  onOutsideStop?: (why: string) => void;
}): Promise<DevServer> {
  const dir = path.join(opts.stateDir, 'temporal');
  mkdirSync(dir, { recursive: true });
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(opts.port),
    '--ui-port', String(opts.uiPort),
    '--db-filename', path.join(dir, 'temporal.sqlite'),
    '--namespace', opts.namespace,
    '--log-level', 'error',
    ...Object.entries(opts.searchAttributes ?? billingSearchAttributes).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
  ];
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Never leave a dev server behind when this process ends without stopping it (a crash, process.exit).
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let stopping = false;
  child.once('exit', (code, signal) => {
    process.removeListener('exit', killOnExit);
    if (!stopping) opts.onOutsideStop?.(`Temporal dev server exited (${signal ?? code})`);
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  await waitForPort(opts.port, 60_000, () =>
    child.exitCode !== null ? `temporal dev server exited (${child.exitCode}): ${stderr}` : null,
  );
  await waitForPort(opts.uiPort, 30_000, () => null);
  return {
    address: `127.0.0.1:${opts.port}`,
    uiUrl: `http://127.0.0.1:${opts.uiPort}`,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
