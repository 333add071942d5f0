// Activity stubs with one retry policy, and a per-call summary so the
// history in the Temporal UI reads like the story of the account.
import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities, TimeoutFailure, type ActivityOptions, type LocalActivityOptions } from '@temporalio/workflow';
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

// Local activities run in the worker that runs the workflow task: no activity
// task on the server and no workflow task to deliver each result, so a short
// step costs a marker in the history instead of two round trips. Same
// timeouts and retries; a worker that dies mid-call loses its workflow task,
// and the worker that takes it over runs the (idempotent) call again.
const localOptions: LocalActivityOptions = { startToCloseTimeout: options.startToCloseTimeout!, retry: options.retry! };
const localChargeOptions: LocalActivityOptions = { ...localOptions, scheduleToCloseTimeout: chargeOptions.scheduleToCloseTimeout! };
const localStubs = proxyLocalActivities<BillingActivities>(localOptions);

/** `act('Open term 3').openTerm({...})`: the activity call, labelled in the history. */
export type ActivityCall = (summary: string) => BillingActivities;

export function billingActivities(): ActivityCall {
  return calls<ActivityOptions>(stubs, options, chargeOptions);
}

/** `local('Open term 3').renewTerm({...})`: the same call as a local activity. */
export function localBillingActivities(): ActivityCall {
  return calls<LocalActivityOptions>(localStubs, localOptions, localChargeOptions, asActivityFailure);
}

/**
 * A local activity's failure reaches the workflow bare (the ApplicationFailure
 * the activity threw, or a timeout); wrapped like a regular activity's, step()
 * and the failure readers treat both kinds alike. Cancellation stays as it is.
 */
function asActivityFailure(err: unknown, activityType: string): unknown {
  if (err instanceof ActivityFailure || !(err instanceof ApplicationFailure || err instanceof TimeoutFailure)) return err;
  return new ActivityFailure('Local activity failed', activityType, undefined, RetryState.NON_RETRYABLE_FAILURE, undefined, err);
}

function calls<O extends object>(stubSet: object, base: O, charge: O, mapError?: (err: unknown, activityType: string) => unknown): ActivityCall {
  return (summary) =>
    new Proxy({} as BillingActivities, {
      get: (_target, name: string) => {
        const stub = (stubSet as Record<string, unknown>)[name] as {
          executeWithOptions(o: O, args: unknown[]): Promise<unknown>;
        };
        const opts = name === 'chargeInvoice' ? charge : base;
        return (arg: unknown) => {
          const pending = stub.executeWithOptions({ ...opts, summary }, arg === undefined ? [] : [arg]);
          return mapError ? pending.catch((err: unknown) => Promise.reject(mapError(err, name))) : pending;
        };
      },
    });
}
