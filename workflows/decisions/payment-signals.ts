// Payment outcomes Stripe reported (webhooks routed to the workflow as
// signals), decided without Temporal: a success is settled, idempotently, by
// the invoice's state; a failure changes nothing (the charge that failed
// already reported it).
import type { PaymentSignal } from '../../src/domain/payment-signal';
import type { UnpaidInvoice } from '../definitions';
import { PATCH_COLLECT_AFTER_PAYMENT } from '../patches';
import { collectsAfterPayment } from './dunning';
import type { Steps } from './steps';

/** What settling a success found (the settlePaymentSucceeded activity's answer). */
export interface Settlement {
  outcome: 'paid' | 'refunded' | 'refund_refused' | 'already' | 'ignored';
  invoiceStatus: string | null;
}

/** The first step for a reported outcome: a success is settled; anything else is dropped. */
export function paymentSignalSteps(sig: PaymentSignal): Steps {
  return sig.type === 'payment_succeeded' ? [{ kind: 'settle-payment', signal: sig }] : [];
}

/**
 * After the settlement: the invoice it paid (or an unpaid one that turns out
 * paid) is rendered again and leaves the unpaid list, and the others are
 * collected at once (rule 13); a refunded payment (void invoice, or paid by
 * another payment) is rendered with its refund; a refused refund is rendered
 * and left to a person (the executor warns ops).
 */
export function settledPaymentSteps(unpaid: readonly UnpaidInvoice[], invoiceId: string, settled: Settlement): Steps {
  // An unpaid invoice leaves the list only after its re-render: a retried step renders it again.
  const settlesUnpaid = settled.invoiceStatus === 'paid' && unpaid.some((u) => u.invoiceId === invoiceId);
  const paid = settled.outcome === 'paid' || settlesUnpaid;
  const steps: Steps = [];
  if (paid) steps.push({ kind: 'rerender-invoice', invoiceId, summary: 'Re-render paid invoice' });
  else if (settled.outcome === 'refunded') steps.push({ kind: 'rerender-invoice', invoiceId, summary: 'Re-render invoice with its refund' });
  else if (settled.outcome === 'refund_refused') steps.push({ kind: 'rerender-invoice', invoiceId, summary: 'Re-render invoice: refund refused by Stripe' });
  const left = settled.invoiceStatus === 'paid' ? unpaid.filter((u) => u.invoiceId !== invoiceId) : null;
  if (left) steps.push({ kind: 'update-state', patch: { unpaid: left } });
  if (paid && collectsAfterPayment(left ?? unpaid)) steps.push({ kind: 'update-state', patch: { collectUnpaid: true }, onlyIfPatched: PATCH_COLLECT_AFTER_PAYMENT });
  return steps;
}

/**
 * Before SETTLE_EVERY_PAYMENT_SIGNAL (kept so histories recorded with it
 * replay): a success marks its invoice paid only while it is unpaid, then
 * renders it again; anything else is dropped.
 */
export function legacyPaymentSignalSteps(unpaid: readonly UnpaidInvoice[], signals: readonly PaymentSignal[]): Steps {
  const steps: Steps = [];
  let left = [...unpaid];
  for (const sig of signals) {
    if (sig.type !== 'payment_succeeded' || !left.some((u) => u.invoiceId === sig.invoiceId)) continue;
    left = left.filter((u) => u.invoiceId !== sig.invoiceId);
    steps.push(
      { kind: 'mark-invoice-paid', signal: sig },
      { kind: 'update-state', patch: { unpaid: left } },
      { kind: 'rerender-invoice', invoiceId: sig.invoiceId, summary: 'Re-render paid invoice' },
    );
  }
  return steps;
}
