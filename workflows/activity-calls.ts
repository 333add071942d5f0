// Activity stubs with one retry policy, and a per-call summary so the
// history in the Temporal UI reads like the story of the account.
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { BillingActivities } from '../activities';

// Every activity is a short transaction, a PDF render or one Stripe call (20 s
// client timeout): 30 s bounds how long the work of a worker that died
// mid-activity waits before another worker retries it.
const options: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

// Stripe keeps idempotency keys for 24 hours: a charge must never be retried later than that.
const chargeOptions: ActivityOptions = { ...options, scheduleToCloseTimeout: '12 hours' };

const stubs = proxyActivities<BillingActivities>(options);

/** `act('Open term 3').openTerm({...})`: the activity call, labelled in the history. */
export type ActivityCall = (summary: string) => BillingActivities;

export function billingActivities(): ActivityCall {
  return (summary) =>
    new Proxy({} as BillingActivities, {
      get: (_target, name: string) => {
        const stub = stubs[name as keyof BillingActivities] as unknown as {
          executeWithOptions(o: ActivityOptions, args: unknown[]): Promise<unknown>;
        };
        const base = name === 'chargeInvoice' ? chargeOptions : options;
        return (arg: unknown) => stub.executeWithOptions({ ...base, summary }, arg === undefined ? [] : [arg]);
      },
    });
}
