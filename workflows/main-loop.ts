// The main loop of a run: sign-up, then waiting for the term end (or the end
// of retention), payment outcomes and dunning retries, each handled as a
// step; the run ends by continuing-as-new (one term per run) or when the
// workspace is deleted.
import { allHandlersFinished, condition, continueAsNew, patched, workflowInfo } from '@temporalio/workflow';
import { RENEWAL_LEDGER_IN_ONE_ACTIVITY, RUN_STARTS_ON_HANDED_ON_CATALOG } from './patches';
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
  // A run after a renewal starts on the catalog that renewal loaded (handed on with the state),
  // behind a patch: a first task that a worker without this code ran loaded the catalog, and
  // must replay as loading it (a rolling deploy hands such runs to new workers).
  b.pricing =
    b.handedOnPricing && patched(RUN_STARTS_ON_HANDED_ON_CATALOG) ? b.handedOnPricing : await b.act('Load the pricing catalog').getPricing();
  if (b.s.phase === 'setup') {
    let afterAnswer: (() => Promise<void>) | null = null;
    await step(b, async () => void (afterAnswer = await setUp(b)));
    if ((b.s.phase as Phase) === 'setup_failed') {
      // Let the create update that is waiting report the failure.
      await condition(allHandlersFinished);
      return;
    }
    // The first invoice's PDF, scheduled in the workflow task that answers the create.
    if (afterAnswer) await step(b, afterAnswer);
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
  const pricing = b.handsOnPricing && b.pricing ? { pricing: b.pricing } : {};
  await continueAsNew<(input: WorkspaceBillingInput) => Promise<void>>({ kind: 'continue', state: b.s, ...pricing });
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
      const ledgerInOneActivity = patched(RENEWAL_LEDGER_IN_ONE_ACTIVITY);
      await step(b, async () => void (await runSteps(b, termEndSteps(b.s, ending, ledgerInOneActivity))));
      // Renewed (not ended): the catalog adopt-next-term loaded goes on to the next run, which then loads none.
      b.handsOnPricing = ledgerInOneActivity && b.s.phase === 'subscribed';
    } finally {
      b.endingTerm = false;
    }
    return true;
  }
  return false;
}
