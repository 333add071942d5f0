// Dunning the unpaid invoices and settling payment outcomes Stripe reported
// (SPEC rules 5, 8 and 13): decided by decisions/dunning.ts and
// decisions/payment-signals.ts, carried out by the executor.
import { patched } from '@temporalio/workflow';
import { SETTLE_EVERY_PAYMENT_SIGNAL } from './patches';
import type { BillingContext } from './billing-context';
import { dunningRetrySteps, nextDunningRetry as nextRetryOf, paymentStatusSteps } from './decisions/dunning';
import { legacyPaymentSignalSteps, paymentSignalSteps, settledPaymentSteps } from './decisions/payment-signals';
import { runSteps } from './executor';

/** The earliest scheduled retry of the workspace's unpaid invoices; null when none is scheduled. */
export function nextDunningRetry(b: BillingContext): number | null {
  return nextRetryOf(b.s.unpaid);
}

/**
 * Charges unpaid invoices again: those whose dunning retry is due, or all of
 * them at once (a new card while past due, a payment that just succeeded).
 */
export async function retryUnpaid(b: BillingContext, which: 'due' | 'all'): Promise<void> {
  await runSteps(b, dunningRetrySteps(b.s.unpaid, which, Date.now()));
}

/**
 * Payment outcomes Stripe reported. A signal leaves the queue only once it
 * was handled: a step that fails part-way is retried with the rest; signals
 * that arrive meanwhile are handled in the same pass.
 */
export async function applyPaymentSignals(b: BillingContext): Promise<void> {
  if (!patched(SETTLE_EVERY_PAYMENT_SIGNAL)) {
    // Before the patch: the queue was taken at once, and a success counted only for an invoice still unpaid.
    const signals = b.s.pendingPayments.splice(0);
    await runSteps(b, [...legacyPaymentSignalSteps(b.s.unpaid, signals), { kind: 'update-payment-status' }]);
    return;
  }
  while (b.s.pendingPayments.length > 0) {
    const sig = b.s.pendingPayments[0]!;
    const { settled } = await runSteps(b, paymentSignalSteps(sig));
    if (settled) await runSteps(b, settledPaymentSteps(b.s.unpaid, sig.invoiceId, settled));
    b.s.pendingPayments.shift();
  }
  await runSteps(b, paymentStatusSteps(b.s));
}
