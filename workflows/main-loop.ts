// The main loop of a run: sign-up, then waiting for the term end (or the end
// of retention), payment outcomes and dunning retries, each handled as a
// step; the run ends by continuing-as-new (one term per run) or when the
// workspace is deleted.
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { PRICING_LOADED_LOCALLY, RENEWAL_ONE_TRANSACTION } from './patches';
import { deliverLeftovers } from './deliveries';
import type { Phase, WorkspaceBillingInput } from './state';
import type { BillingContext } from './billing-context';
import { step } from './execution';
import { nextDunningRetry, retryUnpaid, applyPaymentSignals } from './payments';
import { publish, showDetails } from './read-model';
import { termEndSteps } from './decisions/term-end';
import { nextWakeUp } from './decisions/wake-up';
import { runSteps } from './executor';
import { waitOutRetention } from './retention';
import { setUp } from './sign-up';

/** The whole run of the workspace's workflow. */
export async function run(b: BillingContext): Promise<void> {
  if (b.s.phase !== 'setup') showDetails(b);
  // Locally in the runs that continue a subscription; a create run's first task answers the update-with-start,
  // and the time-skipping test server fails that call now and then when the task also ran a local activity.
  const localPricing = b.s.phase !== 'setup' && patched(PRICING_LOADED_LOCALLY);
  b.pricing = await (localPricing ? b.local : b.act)('Load the pricing catalog').getPricing();
  // What the previous run's renewal left to deliver: before anything else, so finance gets it at once.
  if (b.s.undelivered?.length) await step(b, () => deliverLeftovers(b, b.local));
  if (b.s.phase === 'setup') {
    await step(b, () => setUp(b));
    if ((b.s.phase as Phase) === 'setup_failed') {
      // Let the create update that is waiting report the failure.
      await condition(allHandlersFinished);
      return;
    }
    // The first invoice's PDF, once the create is answered (the update's answer leaves with this task).
    if (b.s.undelivered?.length) await step(b, () => deliverLeftovers(b, b.act));
  }
  publish(b);
  while (b.s.phase !== 'deleted') {
    if (b.s.phase === 'retention') {
      if (await waitOutRetention(b)) break;
    } else if (await waitForTermEnd(b)) break;
    if (workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  if (b.s.phase === 'deleted') return;
  await continueAsNew<(input: WorkspaceBillingInput) => Promise<void>>({ kind: 'continue', state: b.s });
}

/** Waits for the term end, payment outcomes and dunning retries; true when the run should end. */
async function waitForTermEnd(b: BillingContext): Promise<boolean> {
  const wake = nextWakeUp(b.s, false);
  const ms = wake.at - Date.now();
  if (ms > 0) {
    await condition(
      () =>
        b.s.pendingPayments.length > 0 ||
        b.s.collectUnpaid === true ||
        b.s.phase !== 'subscribed' ||
        workflowInfo().continueAsNewSuggested,
      ms,
      { summary: wake.summary },
    );
  }
  if (b.s.phase !== 'subscribed') return false;
  if (b.s.pendingPayments.length > 0) await step(b, () => applyPaymentSignals(b));
  if (b.s.collectUnpaid) await step(b, () => retryUnpaid(b, 'all'));
  if (nextDunningRetry(b) !== null && nextDunningRetry(b)! <= Date.now()) {
    await step(b, () => retryUnpaid(b, 'due'));
  }
  if (Date.now() >= b.term().end && b.s.phase === 'subscribed') {
    const ending = b.term();
    b.endingTerm = true;
    try {
      // Planned again on every try: a blocked renewal resumes where it stopped.
      const oneTransaction = patched(RENEWAL_ONE_TRANSACTION);
      await step(b, async () => void (await runSteps(b, termEndSteps(b.s, ending, oneTransaction))));
    } finally {
      b.endingTerm = false;
    }
    return true;
  }
  return false;
}
