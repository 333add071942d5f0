import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RunningStripeMock {
  port: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`stripe-mock did not listen on ${port}`);
}

/** Runs the official stripe-mock binary on a free HTTP port. */
export async function startStripeMock(binary: string, port: number): Promise<RunningStripeMock> {
  const child: ChildProcess = spawn(binary, ['-http-port', String(port), '-https-port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`stripe-mock exited (${code}): ${stderr}`))),
  );
  await Promise.race([waitForPort(port, Date.now() + 20_000), exited]);
  return {
    port,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await done;
    },
  };
}
