// The payment activities the executor runs (charge, void, deliver, attach a
// card) and the bookkeeping of their outcomes. Imports no step runner, so
// the executor and the payment flows (payments.ts) both build on it.
import { patched } from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import { FailureCodes, type UnpaidInvoice } from './definitions';
import { PATCH_COLLECT_AFTER_PAYMENT, SALE_NUMBERED_KEYS } from './patches';
import { failure, activityCause, paymentFailureReason } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { collectsAfterPayment } from './decisions/dunning';

/** Charges an invoice; null when paid, else the decline reason (non-payment errors propagate). */
export async function charge(b: BillingContext, invoice: InvoiceSummary, attempt: number): Promise<string | null> {
  return chargeById(b, invoice.id, attempt, `Charge ${invoice.number} (${invoice.totalCents} cents), attempt ${attempt}`);
}

export async function chargeById(b: BillingContext, invoiceId: string, attempt: number, summary = `Charge invoice, attempt ${attempt}`): Promise<string | null> {
  try {
    const result = await b.act(summary).chargeInvoice({ invoiceId, attempt });
    if (result.outcome === 'paid') paymentSucceeded(b);
    return null;
  } catch (err) {
    const reason = paymentFailureReason(err);
    if (reason === null) throw err;
    return reason;
  }
}

/** Attaches a card as the customer's default; null when attached, else why Stripe rejected it (other errors propagate). */
export async function attachCard(b: BillingContext, paymentMethod: string): Promise<string | null> {
  try {
    const r = await b.act('Attach payment method').ensurePaymentMethod({ workspaceId: b.id, paymentMethod });
    b.s.paymentMethod = r.paymentMethodId;
    return null;
  } catch (err) {
    const rejected = activityCause(err, 'PaymentMethodRejected');
    if (!rejected) throw err;
    return rejected.message;
  }
}

/** Attaches a card as the customer's default; a rejected card becomes a failure the API reports. */
export async function attachPaymentMethod(b: BillingContext, paymentMethod: string): Promise<void> {
  const rejected = await attachCard(b, paymentMethod);
  if (rejected !== null) throw failure(FailureCodes.paymentMethodRejected, `the payment method was rejected: ${rejected}`);
}

/** A sale that did not happen (failed upgrade or purchase): its invoice is voided, keeping its number. */
export async function voidUnpaid(b: BillingContext, invoice: Pick<InvoiceSummary, 'id' | 'number'>, reason: string): Promise<void> {
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

/**
 * Rule 13: a payment that succeeds proves the card works: the unpaid invoices
 * are retried at once (by the main loop) and the status follows the outcome.
 */
export function paymentSucceeded(b: BillingContext): void {
  if (collectsAfterPayment(b.s.unpaid) && patched(PATCH_COLLECT_AFTER_PAYMENT)) b.s.collectUnpaid = true;
}
