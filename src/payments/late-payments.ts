// Payments that arrive where no sale is waiting for them. A sale we gave up on
// (declined or unauthenticated upgrade or purchase: its invoice is void) has
// its open PaymentIntents cancelled, so the customer cannot complete them
// later. A success that still arrives is never kept silently: for a void
// invoice, or one another PaymentIntent already paid, it is refunded
// automatically (the caller was told the sale failed) and the refund is
// written on the invoice; for an invoice still unpaid it is the payment.
import Stripe from 'stripe';
import type { Pool } from '../db/pool';
import { formatUsd } from '../domain/money';
import { PermanentInvoiceError } from '../invoices/errors';
import { getInvoice, markPaid, requireInvoice } from '../invoices/store';
import { invoicePaymentIntents } from './invoice-payments';
import { cancelPaymentIntent, refundPaymentIntent } from './stripe-requests';

export type RefundReason = 'invoice_void' | 'duplicate_payment';

export interface SettledPayment {
  /**
   * paid: this payment settled the invoice; refunded: it was given back; refund_refused: Stripe
   * refused to give it back (a disputed charge, say): recorded for ops and finance to settle by hand;
   * already: nothing left to do; ignored: not a payment of one of this workspace's invoices.
   */
  outcome: 'paid' | 'refunded' | 'refund_refused' | 'already' | 'ignored';
  invoiceStatus: string | null;
}

const unexpectedState = (err: unknown) => err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state';

/**
 * Gives a PaymentIntent's money back once and writes it on the invoice. A
 * refusal no retry changes (Stripe's 4xx: a disputed charge, say) is an
 * outcome, recorded with its reason for a person to settle, never an error
 * that would hold up the workspace's other payments behind it; network errors
 * and 5xx are thrown and retried.
 */
async function refundOnce(
  pool: Pool,
  stripe: Stripe,
  invoiceId: string,
  pi: Stripe.PaymentIntent,
  reason: RefundReason,
): Promise<'refunded' | 'refund_refused'> {
  const known = await pool.query<{ refused_reason: string | null }>(`SELECT refused_reason FROM payment_refunds WHERE payment_intent_id = $1`, [pi.id]);
  if (known.rows[0]) return known.rows[0].refused_reason === null ? 'refunded' : 'refund_refused';
  let refundId: string | null = null;
  let refused: string | null = null;
  try {
    refundId = (await refundPaymentIntent(stripe, { paymentIntentId: pi.id, invoiceId, reason })).id;
  } catch (err) {
    // Refunded before and our record of it lost (its key long expired): nothing more to give back.
    const alreadyRefunded = err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'charge_already_refunded';
    if (!alreadyRefunded && !(err instanceof Stripe.errors.StripeInvalidRequestError)) throw err;
    if (!alreadyRefunded) refused = `${err.code ?? 'refused'}: ${err.message}`;
  }
  const why = reason === 'invoice_void' ? 'the sale did not happen (invoice void)' : 'the invoice was already paid';
  const note = refused
    ? `Payment ${pi.id} of ${formatUsd(pi.amount_received)} must be refunded (${why}), but Stripe refused the automatic refund (${refused}): settle it by hand.`
    : `Payment ${pi.id} of ${formatUsd(pi.amount_received)} refunded automatically${refundId ? ` (${refundId})` : ''}: ${why}.`;
  await pool.query(
    `WITH kept AS (
       INSERT INTO payment_refunds (payment_intent_id, invoice_id, refund_id, amount_cents, reason, refused_reason) VALUES ($1, $2, $3, $4, $5, $7)
       ON CONFLICT (payment_intent_id) DO NOTHING RETURNING invoice_id)
     UPDATE invoices SET status_note = concat_ws(' ', status_note, $6::text), updated_at = now() WHERE id IN (SELECT invoice_id FROM kept)`,
    [pi.id, invoiceId, refundId, pi.amount_received, reason, note, refused],
  );
  return refused ? 'refund_refused' : 'refunded';
}

/**
 * A payment_intent.succeeded reported by Stripe: the payment of an unpaid
 * invoice, nothing for the one that paid it, a refund otherwise. Idempotent.
 */
export async function settlePaymentSucceeded(
  pool: Pool,
  stripe: Stripe,
  input: { workspaceId: string; invoiceId: string; paymentIntentId: string; paidAt: number },
): Promise<SettledPayment> {
  const invoice = /^[0-9a-f-]{36}$/i.test(input.invoiceId) ? await getInvoice(pool, input.invoiceId) : null;
  if (!invoice || invoice.workspaceId !== input.workspaceId) return { outcome: 'ignored', invoiceStatus: null };
  if (invoice.status === 'paid' && invoice.paymentReference === input.paymentIntentId) return { outcome: 'already', invoiceStatus: 'paid' };
  // Only our own payments of this invoice are recorded or refunded: Stripe's word, not the signal's.
  const pi = await stripe.paymentIntents.retrieve(input.paymentIntentId).catch((err: unknown) => {
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing') return null; // not Stripe's
    throw err;
  });
  if (pi?.metadata?.invoice_id !== invoice.id) return { outcome: 'ignored', invoiceStatus: invoice.status };
  if (pi.status !== 'succeeded') return { outcome: 'already', invoiceStatus: invoice.status };
  if (invoice.status === 'open' || invoice.status === 'payment_failed') {
    await markPaid(pool, invoice.id, pi.id, input.paidAt);
    const now = await requireInvoice(pool, invoice.id);
    if (now.paymentReference === pi.id) return { outcome: 'paid', invoiceStatus: 'paid' };
  }
  const outcome = await refundOnce(pool, stripe, invoice.id, pi, invoice.status === 'void' ? 'invoice_void' : 'duplicate_payment');
  return { outcome, invoiceStatus: (await requireInvoice(pool, invoice.id)).status };
}

/**
 * After an invoice was voided (the sale failed): cancels its PaymentIntents that
 * could still be completed, and refunds any that succeeded meanwhile.
 */
export async function abandonInvoicePayments(pool: Pool, stripe: Stripe, invoiceId: string): Promise<{ cancelled: number; refunded: number }> {
  const invoice = await requireInvoice(pool, invoiceId);
  if (invoice.status !== 'void') throw new PermanentInvoiceError('InvalidInvoiceInput', `invoice ${invoice.number} is ${invoice.status}, not void`);
  let cancelled = 0;
  let refunded = 0;
  for (let pi of await invoicePaymentIntents(pool, stripe, invoiceId)) {
    if (pi.status !== 'succeeded' && pi.status !== 'canceled') {
      try {
        await cancelPaymentIntent(stripe, pi.id);
        cancelled++;
        continue;
      } catch (err) {
        if (!unexpectedState(err)) throw err;
        pi = await stripe.paymentIntents.retrieve(pi.id); // it changed meanwhile: a success raced the cancellation
      }
    }
    if (pi.status === 'succeeded' && (await refundOnce(pool, stripe, invoiceId, pi, 'invoice_void')) === 'refunded') refunded++;
  }
  return { cancelled, refunded };
}
