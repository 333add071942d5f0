// Charging invoices, dunning the unpaid ones and settling payment outcomes
// Stripe reported (SPEC rules 5, 8 and 13).
import { log, patched } from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import { FailureCodes, type PaymentSignal, type UnpaidInvoice } from './definitions';
import { SETTLE_EVERY_PAYMENT_SIGNAL, PATCH_COLLECT_AFTER_PAYMENT, SALE_NUMBERED_KEYS } from './patches';
import { failure, activityCause, paymentFailureReason } from './workflow-failures';
import type { ActivityCall } from './activity-calls';
import type { BillingContext } from './billing-context';
import { isRetryDue, nextDunningRetry as nextRetryOf, paymentStatusSteps } from './decisions/dunning';
import { runSteps } from './executor';

/** Charges an invoice; null when paid, else the decline reason (non-payment errors propagate). */
export async function charge(b: BillingContext, invoice: InvoiceSummary, attempt: number, via: ActivityCall = b.act): Promise<string | null> {
  return chargeById(b, invoice.id, attempt, `Charge ${invoice.number} (${invoice.totalCents} cents), attempt ${attempt}`, via);
}

/** `via`: b.act, or b.local where the charge runs as a local activity (same retries, same idempotency key per attempt). */
export async function chargeById(b: BillingContext, invoiceId: string, attempt: number, summary = `Charge invoice, attempt ${attempt}`, via: ActivityCall = b.act): Promise<string | null> {
  try {
    const result = await via(summary).chargeInvoice({ invoiceId, attempt });
    if (result.outcome === 'paid') paymentSucceeded(b);
    return null;
  } catch (err) {
    const reason = paymentFailureReason(err);
    if (reason === null) throw err;
    return reason;
  }
}

/** Attaches a card as the customer's default; a rejected card becomes a failure the API reports. */
export async function attachPaymentMethod(b: BillingContext, paymentMethod: string, via: ActivityCall = b.act): Promise<void> {
  try {
    const r = await via('Attach payment method').ensurePaymentMethod({ workspaceId: b.id, paymentMethod });
    b.s.paymentMethod = r.paymentMethodId;
  } catch (err) {
    const rejected = activityCause(err, 'PaymentMethodRejected');
    if (!rejected) throw err;
    throw failure(FailureCodes.paymentMethodRejected, `the payment method was rejected: ${rejected.message}`);
  }
}

/** A sale that did not happen (failed upgrade or purchase): its invoice is voided, keeping its number. */
export async function voidUnpaid(b: BillingContext, invoice: InvoiceSummary, reason: string): Promise<void> {
  await b.act(`Void ${invoice.number}: payment failed`).voidInvoice({ invoiceId: invoice.id, reason });
}

export async function finalize(b: BillingContext, invoice: InvoiceSummary): Promise<void> {
  await b.act(`Render and deliver ${invoice.number}`).finalizeInvoice({ invoiceId: invoice.id });
}

/**
 * The business key of an upgrade or a purchase attempt (its invoice and ledger
 * entry): numbered per workspace, so it is unique per accepted request
 * whatever key the client sent; replays compute the same number. Histories
 * recorded before keep their client-derived key (`legacyKey`).
 */
export function nextSaleKey(b: BillingContext, kind: 'upgrade' | 'purchase', legacyKey: string): string {
  if (!patched(SALE_NUMBERED_KEYS)) return legacyKey;
  b.s.sales = (b.s.sales ?? 0) + 1;
  return `${kind}-sale:${b.id}:${b.s.sales}`;
}

export function recordUnpaid(b: BillingContext, invoice: InvoiceSummary, kind: UnpaidInvoice['kind'], reason: string): void {
  if (b.s.unpaid.some((u) => u.invoiceId === invoice.id)) return;
  b.s.unpaid.push({ invoiceId: invoice.id, kind, attempts: 1, firstFailedAt: Date.now(), lastReason: reason, totalCents: invoice.totalCents });
}

/** The earliest scheduled retry of the workspace's unpaid invoices; null when none is scheduled. */
export function nextDunningRetry(b: BillingContext): number | null {
  return nextRetryOf(b.s.unpaid);
}

/**
 * Charges unpaid renewal invoices again: those whose dunning retry is due, or
 * all of them at once (a new card while past due, a payment that just
 * succeeded). Retries at once are extra attempts: they keep the schedule.
 */
export async function retryUnpaid(b: BillingContext, which: 'due' | 'all'): Promise<void> {
  for (const u of [...b.s.unpaid]) {
    if (which === 'due' && !isRetryDue(u, Date.now())) continue;
    const reason = await chargeById(b, u.invoiceId, u.attempts + 1);
    u.attempts += 1;
    if (which === 'all') u.extraAttempts = (u.extraAttempts ?? 0) + 1;
    if (reason === null) {
      b.s.unpaid = b.s.unpaid.filter((x) => x.invoiceId !== u.invoiceId);
      await b.act('Re-render paid invoice').finalizeInvoice({ invoiceId: u.invoiceId });
    } else {
      u.lastReason = reason;
    }
  }
  // Every unpaid invoice was just tried: nothing left to collect at once.
  if (which === 'all') b.s.collectUnpaid = false;
  await updatePaymentStatus(b);
}

/**
 * Rule 13: a payment that succeeds proves the card works: the unpaid invoices
 * are retried at once (by the main loop) and the status follows the outcome.
 */
export function paymentSucceeded(b: BillingContext): void {
  if (b.s.unpaid.length > 0 && patched(PATCH_COLLECT_AFTER_PAYMENT)) b.s.collectUnpaid = true;
}

export async function updatePaymentStatus(b: BillingContext): Promise<void> {
  await runSteps(b, paymentStatusSteps(b.s));
}

/**
 * Payment outcomes Stripe reported. A signal leaves the queue only once it
 * was handled: a step that fails part-way is retried with the rest.
 */
export async function applyPaymentSignals(b: BillingContext): Promise<void> {
  if (!patched(SETTLE_EVERY_PAYMENT_SIGNAL)) return applyPaymentSignalsUnpatched(b);
  while (b.s.pendingPayments.length > 0) {
    await applyPaymentSignal(b, b.s.pendingPayments[0]!);
    b.s.pendingPayments.shift();
  }
  await updatePaymentStatus(b);
}

/**
 * Every success is settled (idempotently, by invoice state): it pays an unpaid
 * invoice, or is refunded when the invoice is void or paid by another payment.
 * Failures change nothing here: the charge that failed already reported it.
 */
export async function applyPaymentSignal(b: BillingContext, sig: PaymentSignal): Promise<void> {
  if (sig.type !== 'payment_succeeded') return;
  const settled = await b.act(`Settle payment ${sig.paymentIntentId} reported by Stripe`).settlePaymentSucceeded({
    workspaceId: b.id,
    invoiceId: sig.invoiceId,
    paymentIntentId: sig.paymentIntentId,
    paidAt: Date.now(),
  });
  // An unpaid invoice leaves the list only after its re-render: a retried step renders it again.
  const settlesUnpaid = settled.invoiceStatus === 'paid' && b.s.unpaid.some((u) => u.invoiceId === sig.invoiceId);
  if (settled.outcome === 'paid' || settlesUnpaid) {
    await b.act('Re-render paid invoice').finalizeInvoice({ invoiceId: sig.invoiceId });
  } else if (settled.outcome === 'refunded') {
    await b.act('Re-render invoice with its refund').finalizeInvoice({ invoiceId: sig.invoiceId });
  } else if (settled.outcome === 'refund_refused') {
    // Recorded on the invoice and in payment_refunds for a person to settle; the queue moves on.
    log.warn('Stripe refused an automatic refund: settle it by hand', { paymentIntentId: sig.paymentIntentId, invoiceId: sig.invoiceId });
    await b.act('Re-render invoice: refund refused by Stripe').finalizeInvoice({ invoiceId: sig.invoiceId });
  }
  if (settled.invoiceStatus === 'paid') b.s.unpaid = b.s.unpaid.filter((u) => u.invoiceId !== sig.invoiceId);
  if (settled.outcome === 'paid' || settlesUnpaid) paymentSucceeded(b);
}

/** Before SETTLE_EVERY_PAYMENT_SIGNAL: kept so histories recorded with it replay. */
export async function applyPaymentSignalsUnpatched(b: BillingContext): Promise<void> {
  const signals = b.s.pendingPayments.splice(0);
  for (const sig of signals) {
    const unpaid = b.s.unpaid.find((u) => u.invoiceId === sig.invoiceId);
    if (sig.type !== 'payment_succeeded' || !unpaid) continue;
    await b.act('Mark invoice paid from Stripe webhook').markInvoicePaid({
      invoiceId: sig.invoiceId,
      paymentIntentId: sig.paymentIntentId,
      paidAt: Date.now(),
    });
    b.s.unpaid = b.s.unpaid.filter((u) => u.invoiceId !== sig.invoiceId);
    await b.act('Re-render paid invoice').finalizeInvoice({ invoiceId: sig.invoiceId });
  }
  await updatePaymentStatus(b);
}
