// The executor's payment steps (workflows/executor.ts runs the others): a
// card attached, an invoice voided, a dunning retry, a payment Stripe
// reported settled, an invoice rendered again. What a step learns that its
// plan's caller decides on is left in `PaymentOutcomes`.
import { log } from '@temporalio/workflow';
import type { BillingActivities } from '../activities';
import type { BillingContext } from './billing-context';
import { attachCard, chargeById, voidUnpaid } from './charges';
import { unpaidAfterRetry } from './decisions/dunning';
import type { Step, Stopped } from './decisions/steps';

export type PaymentStep = Extract<
  Step,
  { kind: 'attach-payment-method' | 'void-invoice' | 'retry-unpaid' | 'settle-payment' | 'mark-invoice-paid' | 'rerender-invoice' }
>;

export interface PaymentOutcomes {
  /** What a settled payment signal found. */
  settled: Awaited<ReturnType<BillingActivities['settlePaymentSucceeded']>> | null;
  /** Why the plan stopped early (an outcome its caller decides on); null while it runs on. */
  stopped: Stopped | null;
}

export async function runPaymentStep(b: BillingContext, step: PaymentStep, c: PaymentOutcomes): Promise<void> {
  switch (step.kind) {
    case 'attach-payment-method': {
      const rejected = await attachCard(b, step.paymentMethod);
      if (rejected !== null) c.stopped = { rejected };
      return;
    }
    case 'void-invoice':
      return voidUnpaid(b, step.invoice, step.reason);
    case 'retry-unpaid': {
      if (step.notBefore !== undefined && Date.now() < step.notBefore) return;
      const reason = await chargeById(b, step.invoiceId, step.attempt);
      b.s.unpaid = unpaidAfterRetry(b.s.unpaid, step.invoiceId, step.extra, reason);
      if (reason === null) await b.act('Re-render paid invoice').finalizeInvoice({ invoiceId: step.invoiceId });
      return;
    }
    case 'settle-payment': {
      const sig = step.signal;
      c.settled = await b.act(`Settle payment ${sig.paymentIntentId} reported by Stripe`).settlePaymentSucceeded({
        workspaceId: b.id,
        invoiceId: sig.invoiceId,
        paymentIntentId: sig.paymentIntentId,
        paidAt: Date.now(),
      });
      if (c.settled.outcome === 'refund_refused') {
        // Recorded on the invoice and in payment_refunds for a person to settle; the queue moves on.
        log.warn('Stripe refused an automatic refund: settle it by hand', { paymentIntentId: sig.paymentIntentId, invoiceId: sig.invoiceId });
      }
      return;
    }
    case 'mark-invoice-paid': {
      const sig = step.signal;
      await b.act('Mark invoice paid from Stripe webhook').markInvoicePaid({ invoiceId: sig.invoiceId, paymentIntentId: sig.paymentIntentId, paidAt: Date.now() });
      return;
    }
    case 'rerender-invoice':
      await b.act(step.summary).finalizeInvoice({ invoiceId: step.invoiceId });
      return;
  }
}
