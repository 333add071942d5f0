// Charging an invoice: one off-session PaymentIntent per (invoice, attempt).
import type Stripe from 'stripe';
import type { Pool } from '../db/pool';
import { PermanentInvoiceError } from '../invoices/errors';
import { carryForward } from '../invoices/carry-forward';
import { markPaid, recordPaymentFailed, recordPaymentSucceeded, requireInvoice } from '../invoices/store';
import { beginAttempt, rekeyAttempt } from './attempts';
import { PaymentFailedError, PermanentStripeError } from './errors';
import { invoicePaymentIntents, invoicePaymentState } from './invoice-payments';
import { classifyStripeError } from './stripe-errors';
import { createOffSessionPaymentIntent } from './stripe-requests';

/** Stripe's smallest USD charge; smaller totals are carried forward to the next invoice (see README, Billing rules). */
export const MINIMUM_CHARGE_CENTS = 50;

export interface ChargeResult {
  outcome: 'paid' | 'not_charged';
  paymentIntentId?: string;
}

/**
 * Stripe forgets an idempotency key 24 hours after its first use; from 23 hours
 * on (an hour of margin for clocks and requests in flight) a key is not trusted
 * to de-duplicate a retry: the invoice's PaymentIntents are looked up first.
 */
export const KEY_TRUSTED_FOR_MS = 23 * 3_600_000;

const REQUIRES_ACTION_REASON =
  'The card issuer requires the customer to authenticate this payment (3-D Secure), which an off-session charge cannot do.';

export interface ChargeOptions {
  /** The clock (tests age keys with it). */
  now?: () => number;
}

export async function chargeInvoice(
  pool: Pool,
  stripe: Stripe,
  invoiceId: string,
  attempt: number,
  { now = Date.now }: ChargeOptions = {},
): Promise<ChargeResult> {
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

  const { rows } = await pool.query<{ stripe_customer_id: string | null; payment_method: string | null }>(
    `SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`,
    [invoice.workspaceId],
  );
  const ws = rows[0];

  // Written down before Stripe is asked: a lost answer leaves a pending attempt with its key and age.
  let current = await beginAttempt(pool, invoice.id, attempt, now());
  if (current.outcome === 'failed') {
    // This attempt already has its answer; the card is tried again only as a new attempt (dunning).
    throw new PaymentFailedError(current.failureCode ?? 'payment_failed', current.failureReason ?? 'The payment failed.', current.paymentIntentId);
  }
  const record = (paymentIntentId: string | null) => ({ invoiceId: invoice.id, attempt, idempotencyKey: current.idempotencyKey, paymentIntentId });
  const fail = async (code: string, reason: string, paymentIntentId: string | null, declineCode: string | null = null) => {
    await recordPaymentFailed(pool, record(paymentIntentId), { code: declineCode ?? code, reason });
    return new PaymentFailedError(code, reason, paymentIntentId, declineCode);
  };
  if (!ws?.stripe_customer_id || !ws.payment_method) {
    throw await fail('no_payment_method', 'No payment method is on file for this workspace.', null);
  }

  if (now() - current.keyFirstUsedAt >= KEY_TRUSTED_FOR_MS) {
    // Stripe may have forgotten this key: a retry with it could charge a second time. Ask Stripe what happened.
    const intents = await invoicePaymentIntents(pool, stripe, invoice.id).catch((err: unknown) => {
      throw new Error(`looking up the PaymentIntents of invoice ${invoice.number} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
    const state = invoicePaymentState(intents);
    if (state.kind === 'succeeded') {
      await recordPaymentSucceeded(pool, record(state.paymentIntent.id), now());
      return { outcome: 'paid', paymentIntentId: state.paymentIntent.id };
    }
    if (state.kind === 'processing') throw new Error(`PaymentIntent ${state.paymentIntentId} of invoice ${invoice.number} is still processing; waiting for its outcome`);
    // This attempt was declined and we never heard: that answer stands (no second try on the card).
    const declined = intents.find((pi) => pi.metadata?.attempt === String(attempt) && pi.last_payment_error);
    if (declined?.last_payment_error) {
      const e = declined.last_payment_error;
      throw await fail(e.code ?? 'card_declined', e.message ?? 'The payment failed.', declined.id, e.decline_code ?? null);
    }
    current = await rekeyAttempt(pool, invoice.id, attempt, current, now());
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
    }, current.idempotencyKey);
    // A replayed key answers with the stored response; ask for the current state when it was not final.
    if (pi.status === 'processing') pi = await stripe.paymentIntents.retrieve(pi.id);
  } catch (err) {
    const f = classifyStripeError(err);
    if (f.kind === 'payment_failed') {
      // Off-session, Stripe declines a card that needs 3-D Secure with authentication_required (402).
      const reason = f.code === 'authentication_required' ? REQUIRES_ACTION_REASON : f.reason;
      throw await fail(f.code, reason, f.paymentIntentId, f.declineCode);
    }
    if (f.kind === 'permanent') throw new PermanentStripeError(f.type, f.message);
    throw new Error(`charging invoice ${invoice.number} (attempt ${attempt}) failed transiently: ${f.message}`, { cause: err });
  }

  switch (pi.status) {
    case 'succeeded':
      await recordPaymentSucceeded(pool, record(pi.id), now());
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
