// How state-changing work runs: one step at a time, blocked steps retried
// with a growing pause (cut short by ops), retried updates answered once.
import { ActivityFailure, ApplicationFailure, condition, currentUpdateInfo, log, metricMeter, patched, sleep } from '@temporalio/workflow';
import { BillingRuleError } from '../src/domain/workspace';
import { FailureCodes, type RetryBlockedStepResult } from './definitions';
import { EXCLUSIVE_ONE_AT_A_TIME, BLOCKED_VISIBLE, RETRY_BLOCKED_ON_REQUEST } from './patches';
import { remember } from './state';
import { failure } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { publish } from './read-model';

/**
 * Runs state-changing work one at a time (the safe-message-handlers pattern),
 * once `ready` also holds.
 */
export async function exclusive<T>(b: BillingContext, fn: () => Promise<T>, ready: () => boolean = () => true): Promise<T> {
  const free = () => !b.busy && b.pricing !== null && ready();
  // Several waiters can be released in one pass over the conditions: the first to resume takes the lock, the others wait again.
  await condition(free);
  if (patched(EXCLUSIVE_ONE_AT_A_TIME)) while (!free()) await condition(free);
  b.busy = true;
  try {
    return await fn();
  } finally {
    b.busy = false;
  }
}

/**
 * A step of the main loop. An activity failure no retry fixes (bad data, a
 * broken config) must not end a billing workflow for good: the step is
 * tried again with a growing pause (1 hour doubling up to a day) until ops
 * fix the cause; the activities are idempotent, so repeating is safe.
 */
export async function step(b: BillingContext, fn: () => Promise<void>): Promise<void> {
  for (let pauseHours = 1; ; pauseHours = Math.min(pauseHours * 2, 24)) {
    try {
      await exclusive(b, fn);
      const recovered = b.blocked !== null;
      b.blocked = null;
      // Ops see the recovery (BillingBlocked = false) at once, not at the next change.
      if (recovered && patched(BLOCKED_VISIBLE)) publish(b);
      return;
    } catch (err) {
      if (!(err instanceof ActivityFailure || err instanceof BillingRuleError)) throw err;
      const cause = err instanceof ActivityFailure && err.cause ? `: ${err.cause.message}` : '';
      b.blocked = `${err.message}${cause}`;
      log.error('billing step blocked; retrying later', { error: b.blocked, pauseHours });
      // Alertable: billing_blocked_steps in the worker's metrics (/metrics).
      metricMeter.createCounter('billing_blocked_steps', 'steps', 'Billing workflow steps blocked by a failure no retry fixes').add(1);
      b.retryAnswered = b.retryTaken; // this try answers the ops requests it took
      publish(b);
      await pauseBlockedStep(b, pauseHours);
    }
  }
}

/** Waits before a blocked step's next try: the pause, cut short by ops (retryBlockedStep) once they fixed the cause. */
export async function pauseBlockedStep(b: BillingContext, pauseHours: number): Promise<void> {
  const summary = `Blocked (${b.blocked!.slice(0, 80)}): retry in ${pauseHours} h`;
  if (!patched(RETRY_BLOCKED_ON_REQUEST)) {
    await sleep(pauseHours * 3_600_000, { summary });
    return;
  }
  await condition(() => b.retryAsked > b.retryTaken, pauseHours * 3_600_000, { summary });
  b.retryTaken = b.retryAsked;
}

/** Ops' retryBlockedStep: the blocked step is tried at once; answers after that try. */
export async function onRetryBlockedStep(b: BillingContext): Promise<RetryBlockedStepResult> {
  const request = ++b.retryAsked;
  // A try already under way when the request came does not answer it: the next one does.
  await condition(() => b.blocked === null || b.retryAnswered >= request);
  return { blocked: b.blocked };
}

/**
 * True from the end of a term until its renewal (or cancellation) step has
 * finished, also while that step is blocked and sleeping outside `exclusive`.
 */
export function termEndPending(b: BillingContext): boolean {
  return b.endingTerm || (b.s.phase === 'subscribed' && Date.now() >= b.term().end);
}

/**
 * A plan change applies to the term in force: it waits for a renewal that is
 * merely due (the main loop runs it at once), and is let in while the
 * term-end step is blocked only to be refused (`onChangePlan`).
 */
export function planChangeMayRun(b: BillingContext): boolean {
  return !termEndPending(b) || b.blocked !== null;
}

/** Answers a retried update (same update id, possibly after continue-as-new) with its first result. */
export async function once<T>(b: BillingContext, fn: (requestId: string) => Promise<T>, ready?: () => boolean): Promise<T> {
  const id = currentUpdateInfo()?.id ?? '';
  const seen = b.s.results.find(([k]) => k === id);
  if (seen) return seen[1] as T;
  const refused = b.s.refusals?.find(([k]) => k === id);
  if (refused) throw ApplicationFailure.create({ ...refused[1], nonRetryable: true });
  try {
    const result = await exclusive(b, () => fn(id), ready);
    remember(b.s.results, id, result);
    return result;
  } catch (err) {
    // Temporal answers a repeated update id with its first outcome within a run; this keeps that true after continue-as-new.
    if (err instanceof ApplicationFailure && err.type) {
      remember((b.s.refusals ??= []), id, { type: err.type, message: err.message, details: [...(err.details ?? [])] });
    }
    throw err;
  }
}

export function requireSubscribed(b: BillingContext, action: string): void {
  if (b.s.phase === 'setup' || b.s.phase === 'setup_failed') {
    throw failure(FailureCodes.invalidState, `cannot ${action}: the workspace is not set up`);
  }
  if (b.s.phase === 'deleted') throw failure(FailureCodes.invalidState, `cannot ${action}: the workspace is deleted`);
}
