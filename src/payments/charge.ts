// Charging an invoice: one off-session PaymentIntent per (invoice, attempt).
import type Stripe from 'stripe';
import type { Pool } from '../db/pool';
import { PermanentInvoiceError } from '../invoices/errors';
import { carryForward } from '../invoices/carry-forward';
import { markPaid, recordPaymentFailed, recordPaymentSucceeded, requireInvoice } from '../invoices/store';
import { PaymentFailedError, PermanentStripeError } from './errors';
import { classifyStripeError } from './stripe-errors';
import { chargeIdempotencyKey, createOffSessionPaymentIntent } from './stripe-requests';

/** Stripe's smallest USD charge; smaller totals are carried forward to the next invoice (see README, Billing rules). */
export const MINIMUM_CHARGE_CENTS = 50;

export interface ChargeResult {
  outcome: 'paid' | 'not_charged';
  paymentIntentId?: string;
}

const REQUIRES_ACTION_REASON =
  'The card issuer requires the customer to authenticate this payment (3-D Secure), which an off-session charge cannot do.';

export async function chargeInvoice(pool: Pool, stripe: Stripe, invoiceId: string, attempt: number): Promise<ChargeResult> {
  if (!Number.isInteger(attempt) || attempt < 1 || attempt > 1000) {
    throw new PermanentInvoiceError('InvalidInvoiceInput', `attempt must be a positive integer, got ${attempt}`);
  }
  const invoice = await requireInvoice(pool, invoiceId);
  if (invoice.status === 'paid') {
    return invoice.paymentReference ? { outcome: 'paid', paymentIntentId: invoice.paymentReference } : { outcome: 'not_charged' };
  }
  if (invoice.status === 'void') throw new PermanentInvoiceError('InvoiceVoid', `invoice ${invoice.number} is void`);
  if (invoice.totalCents === 0) {
    await markPaid(pool, invoice.id, null, invoice.issuedAt); // nothing due: settled as issued
    return { outcome: 'not_charged' };
  }
  if (invoice.totalCents < MINIMUM_CHARGE_CENTS) {
    await carryForward(pool, invoice.id); // billed on the workspace's next invoice
    return { outcome: 'not_charged' };
  }

  const idempotencyKey = chargeIdempotencyKey(invoice.id, attempt);
  const record = (paymentIntentId: string | null) => ({ invoiceId: invoice.id, attempt, idempotencyKey, paymentIntentId });
  const fail = async (code: string, reason: string, paymentIntentId: string | null, declineCode: string | null = null) => {
    await recordPaymentFailed(pool, record(paymentIntentId), { code: declineCode ?? code, reason });
    return new PaymentFailedError(code, reason, paymentIntentId, declineCode);
  };

  const { rows } = await pool.query<{ stripe_customer_id: string | null; payment_method: string | null }>(
    `SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`,
    [invoice.workspaceId],
  );
  const ws = rows[0];
  if (!ws?.stripe_customer_id || !ws.payment_method) {
    throw await fail('no_payment_method', 'No payment method is on file for this workspace.', null);
  }

  let pi: Stripe.PaymentIntent;
  try {
    pi = await createOffSessionPaymentIntent(stripe, {
      invoiceId: invoice.id,
      invoiceNumber: invoice.number,
      workspaceId: invoice.workspaceId,
      amountCents: invoice.totalCents,
      customerId: ws.stripe_customer_id,
      paymentMethodId: ws.payment_method,
      attempt,
    });
    // A replayed key answers with the stored response; ask for the current state when it was not final.
    if (pi.status === 'processing') pi = await stripe.paymentIntents.retrieve(pi.id);
  } catch (err) {
    const f = classifyStripeError(err);
    if (f.kind === 'payment_failed') throw await fail(f.code, f.reason, f.paymentIntentId, f.declineCode);
    if (f.kind === 'permanent') throw new PermanentStripeError(f.type, f.message);
    throw new Error(`charging invoice ${invoice.number} (attempt ${attempt}) failed transiently: ${f.message}`, { cause: err });
  }

  switch (pi.status) {
    case 'succeeded':
      await recordPaymentSucceeded(pool, record(pi.id), Date.now());
      return { outcome: 'paid', paymentIntentId: pi.id };
    case 'processing':
      throw new Error(`PaymentIntent ${pi.id} is still processing; retrying to see its outcome`);
    case 'requires_action':
      throw await fail('authentication_required', REQUIRES_ACTION_REASON, pi.id);
    default: {
      const lastError = pi.last_payment_error;
      throw await fail(lastError?.code ?? pi.status, lastError?.message ?? `The payment ended as ${pi.status}.`, pi.id, lastError?.decline_code ?? null);
    }
  }
}
