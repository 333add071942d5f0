// Baseline workflow of the renewal benchmark: wake at an instant and run one
// no-op activity, which is Temporal's own floor for "1,000 timers fire and
// each does one thing".
import { proxyActivities, sleep } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '30 seconds' });

export async function wakeAndNoop(at: number): Promise<void> {
  await sleep(Math.max(1, at - Date.now()));
  await noop();
}
