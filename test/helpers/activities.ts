// Running activities the way Temporal runs them (an activity context), and
// reading their failures.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

// Expected failures are asserted on; the SDK's per-failure warnings would only be noise.
const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });

export function runActivity<A, R>(fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return env.run(fn, arg);
}

/** The failure an activity threw (fails the test when it did not throw). */
export async function activityFailure(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  if (outcome.ok) throw new Error(`expected the activity to fail, it returned ${JSON.stringify(outcome.value)}`);
  if (!(outcome.err instanceof Error)) throw new Error(`expected an Error, got ${String(outcome.err)}`);
  return outcome.err;
}

/** A non-retryable ApplicationFailure of `type`, with its details[0]. */
export async function nonRetryable(p: Promise<unknown>, type: string): Promise<{ failure: ApplicationFailure; details: Record<string, unknown> }> {
  const err = await activityFailure(p);
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${err.name}: ${err.message}`);
  if (err.type !== type || !err.nonRetryable) throw new Error(`expected non-retryable ${type}, got ${err.type} (nonRetryable=${err.nonRetryable}): ${err.message}`);
  return { failure: err, details: (err.details?.[0] ?? {}) as Record<string, unknown> };
}

/** A failure Temporal will retry: anything but a non-retryable ApplicationFailure. */
export async function retryable(p: Promise<unknown>): Promise<Error> {
  const err = await activityFailure(p);
  if (err instanceof ApplicationFailure && err.nonRetryable) throw new Error(`expected a retryable failure, got non-retryable ${err.type}: ${err.message}`);
  return err;
}
