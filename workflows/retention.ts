// Cancellation, the retention period and its purge, and subscribing again
// during retention (unpaid invoices collected first).
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { EnterpriseTerms } from '../src/domain/pricing';
import { addMonthsClamped, type Term } from '../src/domain/terms';
import { resolvePlan, RETENTION_DAYS } from '../src/domain/workspace';
import { FailureCodes, type CancelResult } from './definitions';
import { RETENTION_COLLECTS_DEBT } from './patches';
import { type Phase, type WorkspaceState } from './state';
import { failure, paymentMethodRequired, rule } from './workflow-failures';
import { iso } from './format';
import type { BillingContext } from './billing-context';
import { wakeUp } from './dunning';
import { step } from './execution';
import { charge, voidUnpaid, finalize, nextDunningRetry, retryUnpaid, applyPaymentSignals } from './payments';
import { sync } from './read-model';
import { issueBaseInvoice, openTerm } from './renewal';

/**
 * Retention: purge at its end unless someone subscribes again; true when the
 * run should end. Unpaid invoices stay collectable meanwhile: payment
 * webhooks are applied and dunning retries run on their schedule.
 */
export async function waitOutRetention(b: BillingContext): Promise<boolean> {
  const until = b.s.retentionUntil!;
  const collects = patched(RETENTION_COLLECTS_DEBT);
  const nextRetry = collects ? nextDunningRetry(b) : null;
  const wake = wakeUp(until, nextRetry);
  const ms = wake.at - Date.now();
  if (ms > 0) {
    await condition(
      () => (collects && b.s.pendingPayments.length > 0) || b.s.phase !== 'retention' || workflowInfo().continueAsNewSuggested,
      ms,
      { summary: wake.forRetry ? `Wait for payment retry ${iso(wake.at)}` : `Retention: purge data at ${iso(until)} unless re-subscribed` },
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
  await step(b, async () => {
    if (b.s.phase !== 'retention') return;
    await b.act(`Purge usage and ledger detail after ${RETENTION_DAYS} days`).purgeUsageData({
      workspaceId: b.id,
      key: `purge:${b.id}:${b.s.termIndex}`,
    });
    b.s.status = 'deleted';
    b.s.phase = 'deleted';
    await sync(b, 'Mark workspace deleted');
  });
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
  const owes = collects && b.s.unpaid.length > 0;
  if (terms.monthlyPriceCents > 0 && !b.s.paymentMethod) {
    throw paymentMethodRequired(b.id, `plan '${plan}' costs money and no payment method is on file`);
  }
  if (owes && !b.s.paymentMethod) {
    throw paymentMethodRequired(b.id, 'unpaid invoices must be paid before subscribing again and no payment method is on file');
  }
  if (owes) await collectUnpaidBeforeResubscribing(b);
  const termIndex = b.s.termIndex + 1;
  const anchor = Date.now();
  const term: Term = { index: termIndex, start: anchor, end: addMonthsClamped(anchor, 1) };
  const invoice = await issueBaseInvoice(b, term, {
    plan: { plan, priceCents: terms.monthlyPriceCents },
    key: collects ? `resubscribe:${b.id}:${requestId}` : undefined,
  });
  if (invoice && invoice.totalCents > 0) {
    const reason = await charge(b, invoice, 1);
    if (reason !== null) {
      await voidUnpaid(b, invoice, reason);
      throw failure(FailureCodes.paymentFailed, `payment failed: ${reason}`, { reason, invoiceId: invoice.id });
    }
  }
  Object.assign(b.s, {
    plan,
    enterprise,
    planCredits: terms.monthlyCredits,
    planPriceCents: terms.monthlyPriceCents,
    anchor,
    anchorTermIndex: termIndex,
    termIndex,
    status: 'active',
    phase: 'subscribed',
    cancelAt: null,
    retentionUntil: null,
    scheduledChange: null,
    // Collected above since RETENTION_COLLECTS_DEBT; older code wrote the debt off here.
    ...(collects ? {} : { unpaid: [] }),
  } satisfies Partial<WorkspaceState>);
  await openTerm(b, b.term());
  if (invoice) await finalize(b, invoice);
  await sync(b, 'Re-subscribed during retention: purge stopped, new anchor');
}

/** Retries every unpaid invoice with the card on file now; what stays unpaid refuses the re-subscription with the amount due. */
export async function collectUnpaidBeforeResubscribing(b: BillingContext): Promise<void> {
  await retryUnpaid(b, 'all');
  if (b.s.unpaid.length === 0) return;
  const amountDueCents = b.s.unpaid.reduce((sum, u) => sum + (u.totalCents ?? 0), 0);
  const invoiceIds = b.s.unpaid.map((u) => u.invoiceId);
  const reason = b.s.unpaid[0]!.lastReason;
  throw failure(
    FailureCodes.paymentRequired,
    `${invoiceIds.length} unpaid invoice(s), ${amountDueCents} cents, must be paid before subscribing again: ${reason}`,
    { amountDueCents, invoiceIds, reason },
  );
}

export function cancelResult(b: BillingContext): CancelResult {
  return { status: b.s.status, cancelAt: b.s.cancelAt, retentionUntil: b.s.retentionUntil };
}

export async function onCancel(b: BillingContext): Promise<CancelResult> {
  if (b.s.phase === 'subscribed' && b.s.cancelAt === null) {
    b.s.cancelAt = b.term().end;
    await sync(b, `Cancellation requested: ends ${iso(b.s.cancelAt)}`);
  }
  return cancelResult(b);
}

export async function onResume(b: BillingContext, requestId: string): Promise<CancelResult> {
  if (b.s.phase === 'retention') {
    await resubscribe(b, b.s.plan, b.s.enterprise, requestId);
  } else if (b.s.cancelAt !== null) {
    b.s.cancelAt = null;
    await sync(b, 'Cancellation withdrawn');
  }
  return cancelResult(b);
}
