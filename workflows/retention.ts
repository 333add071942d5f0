// Cancellation, the retention period and its purge, and subscribing again
// during retention (unpaid invoices collected first).
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { EnterpriseTerms } from '../src/domain/pricing';
import { resolvePlan } from '../src/domain/workspace';
import type { CancelResult } from './definitions';
import { RETENTION_COLLECTS_DEBT } from './patches';
import type { Phase } from './state';
import { failure, refusal, rule } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { cancelSteps, purgeSteps, withdrawCancellationSteps } from './decisions/cancellation';
import { owesBeforeResubscribing, resubscribeRefusal, resubscribeSteps, unpaidDebtRefusal } from './decisions/resubscribe';
import { nextWakeUp } from './decisions/wake-up';
import { runSteps } from './executor';
import { step } from './execution';
import { nextDunningRetry, retryUnpaid, applyPaymentSignals } from './payments';

/**
 * Retention: purge at its end unless someone subscribes again; true when the
 * run should end. Unpaid invoices stay collectable meanwhile: payment
 * webhooks are applied and dunning retries run on their schedule.
 */
export async function waitOutRetention(b: BillingContext): Promise<boolean> {
  const until = b.s.retentionUntil!;
  const collects = patched(RETENTION_COLLECTS_DEBT);
  const wake = nextWakeUp(b.s, collects);
  const ms = wake.at - Date.now();
  if (ms > 0) {
    await condition(
      () => (collects && b.s.pendingPayments.length > 0) || b.s.phase !== 'retention' || workflowInfo().continueAsNewSuggested,
      ms,
      { summary: wake.summary },
    );
  }
  if (b.s.phase !== 'retention') return true; // re-subscribed: new anchor, new run
  if (collects) {
    if (b.s.pendingPayments.length > 0) await step(b, () => applyPaymentSignals(b));
    if (b.s.collectUnpaid) await step(b, () => retryUnpaid(b, 'all'));
    const due = nextDunningRetry(b);
    if (due !== null && due <= Date.now()) await step(b, () => retryUnpaid(b, 'due'));
    if ((b.s.phase as Phase) !== 'retention') return true;
  }
  if (Date.now() < until) return false;
  await step(b, async () => void (await runSteps(b, purgeSteps(b.s))));
  return true;
}

/**
 * Subscribing again during retention: stops the purge and starts a new
 * anchor now. Unpaid invoices are collected first; `requestId` (the update
 * id) makes each attempt's invoice its own, so a declined one stays void.
 */
export async function resubscribe(b: BillingContext, plan: string, enterprise: EnterpriseTerms | null, requestId: string): Promise<void> {
  const terms = rule(() => resolvePlan(b.pricing!, plan, enterprise));
  const collects = patched(RETENTION_COLLECTS_DEBT);
  const refused = resubscribeRefusal(b.s, plan, terms, collects);
  if (refused) throw refusal(b.id, refused.code, refused.message);
  if (owesBeforeResubscribing(b.s, collects)) await collectUnpaidBeforeResubscribing(b);
  // Anchored when the debt is settled: the new subscription starts now.
  await runSteps(b, resubscribeSteps(b.s, { plan, enterprise, terms, requestId }, Date.now(), collects));
}

/** Retries every unpaid invoice with the card on file now; what stays unpaid refuses the re-subscription with the amount due. */
export async function collectUnpaidBeforeResubscribing(b: BillingContext): Promise<void> {
  await retryUnpaid(b, 'all');
  const refused = unpaidDebtRefusal(b.s.unpaid);
  if (refused) throw failure(refused.code, refused.message, refused.details);
}

export function cancelResult(b: BillingContext): CancelResult {
  return { status: b.s.status, cancelAt: b.s.cancelAt, retentionUntil: b.s.retentionUntil };
}

export async function onCancel(b: BillingContext): Promise<CancelResult> {
  await runSteps(b, cancelSteps(b.s));
  return cancelResult(b);
}

export async function onResume(b: BillingContext, requestId: string): Promise<CancelResult> {
  if (b.s.phase === 'retention') await resubscribe(b, b.s.plan, b.s.enterprise, requestId);
  else await runSteps(b, withdrawCancellationSteps(b.s));
  return cancelResult(b);
}
