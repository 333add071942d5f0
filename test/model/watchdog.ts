// A command that has not finished after MODEL_WATCHDOG_S seconds (real time)
// prints what it waits on, every interval until it ends: the sequence so far,
// the worker, the virtual clock (moving or not) and the workflow's pending
// work. A hang then names its command instead of only timing out.
import type { World } from './check';
import type { ModelSystem } from './system';

const INTERVAL_MS = Number(process.env.MODEL_WATCHDOG_S ?? 60) * 1000;

export async function withWatchdog<T>(what: string, w: World, sys: ModelSystem, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(() => {
    void sys.diagnose(w.ws).then(
      (d) => console.error(`model watchdog: "${what}" still running after ${Math.round((Date.now() - started) / 1000)} s\n  sequence: ${w.log.join(' ')}\n  ${d}`),
      (err: unknown) => console.error(`model watchdog: "${what}" still running; diagnosis failed: ${String(err)}`),
    );
  }, INTERVAL_MS);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}
