// The baseline of bench-time-skipping: the least a monthly workflow can do on
// the time-skipping server, one durable 30-day timer and one no-op activity a
// month. Bundled as workflow code (deterministic: @temporalio/workflow only).
import { defineQuery, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export interface NoopActivities {
  noop(month: number): Promise<void>;
}

const { noop } = proxyActivities<NoopActivities>({ startToCloseTimeout: '1 minute' });

export const monthsDoneQuery = defineQuery<number>('monthsDone');

export async function monthlyNoop(months: number): Promise<number> {
  let done = 0;
  setHandler(monthsDoneQuery, () => done);
  for (let m = 1; m <= months; m++) {
    await sleep('30 days');
    await noop(m);
    done = m;
  }
  return done;
}
