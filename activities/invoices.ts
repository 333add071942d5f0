// Temporal activities for invoices and payments. Each takes one object and
// is idempotent; answers that retrying cannot change (a declined card, bad
// input) are non-retryable ApplicationFailures whose `type` the workflow
// reads, with details[0] carrying the facts (Stripe's reason, code, ...).
import { ApplicationFailure } from '@temporalio/common';
import type Stripe from 'stripe';
import type { Pool } from '../src/db/pool';
import type { InvoiceSeller, InvoiceSummary, IssueInvoiceInput } from '../src/domain/invoice';
import type { PricingConfig } from '../src/domain/pricing';
import { PermanentInvoiceError } from '../src/invoices/errors';
import { finalizeInvoice, type FinalizedInvoice, type InvoiceDelivery } from '../src/invoices/finalize';
import * as store from '../src/invoices/store';
import { paymentFailures } from '../src/metrics';
import { chargeInvoice, type ChargeResult } from '../src/payments/charge';
import { ensurePaymentMethod } from '../src/payments/customers';
import { abandonInvoicePayments, settlePaymentSucceeded, type SettledPayment } from '../src/payments/late-payments';
import { PaymentFailedError, PaymentMethodRejectedError, PermanentStripeError } from '../src/payments/errors';

export interface InvoiceActivityDeps {
  pool: Pool;
  pricing: PricingConfig;
  stripe: Stripe;
  /** Finance outbox directory (INVOICE_OUTBOX_DIR). */
  outboxDir: string;
  /** The API's public address (PUBLIC_BASE_URL): invoice events' `pdfUrl` is absolute under it. */
  publicBaseUrl: string;
  seller: InvoiceSeller;
  /** The clock charges read (tests age idempotency keys with it). */
  now?: () => number;
}

/** Details of a `PaymentFailed` failure (ApplicationFailure.details[0]). */
export interface PaymentFailureDetails {
  reason: string;
  code: string;
  declineCode: string | null;
  paymentIntentId: string | null;
}

function asActivityFailure(err: unknown): unknown {
  if (err instanceof PaymentFailedError) {
    const details: PaymentFailureDetails = { reason: err.reason, code: err.code, declineCode: err.declineCode, paymentIntentId: err.paymentIntentId };
    return ApplicationFailure.nonRetryable(err.message, 'PaymentFailed', details);
  }
  if (err instanceof PaymentMethodRejectedError) {
    return ApplicationFailure.nonRetryable(err.message, 'PaymentMethodRejected', { reason: err.reason, code: err.code });
  }
  if (err instanceof PermanentInvoiceError || err instanceof PermanentStripeError) {
    return ApplicationFailure.nonRetryable(err.message, err.type);
  }
  return err; // anything else is retried by Temporal
}

async function failing<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asActivityFailure(err);
  }
}

const summaryOf = (inv: store.StoredInvoice): InvoiceSummary => ({
  id: inv.id,
  number: inv.number,
  kind: inv.kind,
  totalCents: inv.totalCents,
  status: inv.status,
  periodStart: inv.periodStart,
  periodEnd: inv.periodEnd,
});

export function createInvoiceActivities(deps: InvoiceActivityDeps) {
  const { pool, pricing, stripe, seller, now } = deps;
  const delivery: InvoiceDelivery = { outboxDir: deps.outboxDir, publicBaseUrl: deps.publicBaseUrl };
  return {
    /** Creates the workspace's Stripe customer once, attaches the card, makes it the default. */
    async ensurePaymentMethod(input: { workspaceId: string; paymentMethod: string }): Promise<Awaited<ReturnType<typeof ensurePaymentMethod>>> {
      return failing(() => ensurePaymentMethod(pool, stripe, input.workspaceId, input.paymentMethod));
    },

    /** Issues (computes, numbers, stores) the invoice for `input.key` once. */
    async issueInvoice(input: IssueInvoiceInput): Promise<InvoiceSummary> {
      return failing(() => store.issueInvoice(pool, pricing, seller, input));
    },

    /**
     * Charges the invoice off-session. Same (invoiceId, attempt) never charges twice;
     * a dunning retry passes the next attempt number. Zero totals are not charged.
     */
    async chargeInvoice(input: { invoiceId: string; attempt: number }): Promise<ChargeResult> {
      return failing(async () => {
        try {
          return await chargeInvoice(pool, stripe, input.invoiceId, input.attempt, now ? { now } : {});
        } catch (err) {
          // A decline is not retried, so each failed attempt counts once.
          if (err instanceof PaymentFailedError) paymentFailures.inc({ reason: err.declineCode ?? err.code });
          throw err;
        }
      });
    },

    /** Records a payment confirmed by a webhook (idempotent; the first payment wins). */
    async markInvoicePaid(input: { invoiceId: string; paymentIntentId: string; paidAt: number }): Promise<InvoiceSummary> {
      return failing(async () => {
        await store.markPaid(pool, input.invoiceId, input.paymentIntentId, input.paidAt);
        return summaryOf(await store.requireInvoice(pool, input.invoiceId));
      });
    },

    /** Records a failure reported by a webhook (a paid or void invoice stays as it is). */
    async markInvoicePaymentFailed(input: { invoiceId: string; paymentIntentId: string; reason: string; code?: string }): Promise<InvoiceSummary> {
      return failing(async () => {
        await store.requireInvoice(pool, input.invoiceId);
        await store.markPaymentFailed(pool, input.invoiceId, input.paymentIntentId, { code: input.code ?? 'payment_failed', reason: input.reason });
        return summaryOf(await store.requireInvoice(pool, input.invoiceId));
      });
    },

    /**
     * Voids an unpaid invoice whose sale did not happen (failed sign-up, upgrade or purchase); it keeps its number.
     * Its PaymentIntents that could still be completed are cancelled; one that succeeded meanwhile is refunded.
     * Then it is delivered to finance like any invoice, marked VOID, with an `invoice.voided` event.
     */
    async voidInvoice(input: { invoiceId: string; reason: string }): Promise<InvoiceSummary> {
      return failing(async () => {
        await store.voidInvoice(pool, input.invoiceId, input.reason);
        await abandonInvoicePayments(pool, stripe, input.invoiceId);
        await finalizeInvoice(pool, delivery, input.invoiceId);
        return summaryOf(await store.requireInvoice(pool, input.invoiceId));
      });
    },

    /** A success Stripe reported: pays an unpaid invoice, or is refunded (void invoice, or paid by another PaymentIntent). Idempotent. */
    async settlePaymentSucceeded(input: { workspaceId: string; invoiceId: string; paymentIntentId: string; paidAt: number }): Promise<SettledPayment> {
      return failing(() => settlePaymentSucceeded(pool, stripe, input));
    },

    /** Renders the PDF with the current status, stores it, delivers <number>.pdf and its event (invoice.finalized, or invoice.voided). */
    async finalizeInvoice(input: { invoiceId: string }): Promise<FinalizedInvoice> {
      return failing(() => finalizeInvoice(pool, delivery, input.invoiceId));
    },
  };
}

export type InvoiceActivities = ReturnType<typeof createInvoiceActivities>;
