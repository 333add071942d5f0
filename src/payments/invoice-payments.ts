// What Stripe knows about one invoice's payments: its PaymentIntents, found by
// metadata on the workspace's customer. The truth to reconcile against when
// our own record of an attempt cannot be trusted (a lost answer, an old key).
import type Stripe from 'stripe';
import type { Pool } from '../db/pool';
import { firstAttemptAt } from './attempts';
import { listInvoicePaymentIntents } from './stripe-requests';

/** Stripe's `created` and our clocks differ; the look-up starts this much earlier. */
const CLOCK_SLACK_MS = 2 * 86_400_000;

/** The invoice's PaymentIntents, oldest first; none when it was never charged. */
export async function invoicePaymentIntents(pool: Pool, stripe: Stripe, invoiceId: string): Promise<Stripe.PaymentIntent[]> {
  const since = await firstAttemptAt(pool, invoiceId);
  if (since === null) return [];
  const { rows } = await pool.query<{ stripe_customer_id: string | null }>(
    `SELECT w.stripe_customer_id FROM invoices i JOIN workspaces w ON w.id = i.workspace_id WHERE i.id = $1`,
    [invoiceId],
  );
  const customerId = rows[0]?.stripe_customer_id;
  if (!customerId) return [];
  const found = await listInvoicePaymentIntents(stripe, { customerId, invoiceId, createdSinceMs: since - CLOCK_SLACK_MS });
  return found.reverse(); // Stripe lists newest first
}

export type InvoicePaymentState =
  | { kind: 'succeeded'; paymentIntent: Stripe.PaymentIntent }
  | { kind: 'processing'; paymentIntentId: string }
  | { kind: 'unpaid' };

/** Paid (by the oldest success), still processing (wait for it), or not paid by any PaymentIntent. */
export function invoicePaymentState(intents: Stripe.PaymentIntent[]): InvoicePaymentState {
  const succeeded = intents.find((pi) => pi.status === 'succeeded');
  if (succeeded) return { kind: 'succeeded', paymentIntent: succeeded };
  const processing = intents.find((pi) => pi.status === 'processing');
  if (processing) return { kind: 'processing', paymentIntentId: processing.id };
  return { kind: 'unpaid' };
}
