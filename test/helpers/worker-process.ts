// The production worker entry point (src/worker-main.ts) as a child process
// that fault tests can SIGKILL and start again: nothing in it gets a chance to
// clean up, exactly like a crashed or evicted worker.
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/state-dir';

export class WorkerProcess {
  private child: ChildProcess | null = null;
  private output = '';
  kills = 0;

  /** `entry`: the worker's main module; the production one unless a drill brings its own build. */
  constructor(
    private readonly env: Record<string, string>,
    private readonly entry = 'src/worker-main.ts',
  ) {}

  /** Starts the worker and waits until it polls its task queue. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child) throw new Error('worker already running');
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: projectRoot,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const killOnExit = () => child.kill('SIGKILL');
    process.once('exit', killOnExit);
    child.once('exit', () => process.removeListener('exit', killOnExit));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker not ready within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const onData = (d: Buffer) => {
        this.output = (this.output + d.toString()).slice(-8000);
        if (this.output.includes('billing worker ready')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited (${code ?? signal}) before it was ready:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: in-flight activities and workflow tasks are lost mid-step. */
  async kill(): Promise<void> {
    if (await this.signal('SIGKILL')) this.kills++;
  }

  /** SIGTERM: the worker drains and exits (SIGKILL after 15 s). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', 15_000);
  }

  /** Sends `sig` and waits for the exit; false when no worker was running. */
  private async signal(sig: NodeJS.Signals, killAfterMs?: number): Promise<boolean> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(sig);
    const timer = killAfterMs ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    await exited;
    clearTimeout(timer);
    return true;
  }

  get log(): string {
    return this.output;
  }
}
