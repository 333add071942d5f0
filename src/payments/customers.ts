// Stripe customers and cards on file: one customer per workspace, created once
// and remembered in workspaces.stripe_customer_id.
import type Stripe from 'stripe';
import type { Pool } from '../db/pool';
import { PermanentInvoiceError } from '../invoices/errors';
import { PaymentMethodRejectedError, PermanentStripeError } from './errors';
import { classifyStripeError } from './stripe-errors';
import { attachPaymentMethod, createCustomer, setDefaultPaymentMethod } from './stripe-requests';

/** Rethrows a Stripe failure as ours: rejected (card refused), permanent (bug), or retryable. */
function rethrow(err: unknown, rejected: (code: string, reason: string) => Error): never {
  const f = classifyStripeError(err);
  if (f.kind === 'payment_failed') throw rejected(f.declineCode ?? f.code, f.reason);
  if (f.kind === 'permanent') throw new PermanentStripeError(f.type, f.message);
  throw new Error(f.message);
}

/** What ops see of the card on file. */
export interface CardOnFile {
  brand: string;
  last4: string;
}

/** The workspace's Stripe customer id, creating the customer on first use. */
export async function ensureCustomer(pool: Pool, stripe: Stripe, workspaceId: string): Promise<string> {
  const { rows } = await pool.query<{ name: string; billing_email: string; stripe_customer_id: string | null }>(
    `SELECT name, billing_email, stripe_customer_id FROM workspaces WHERE id = $1`,
    [workspaceId],
  );
  const ws = rows[0];
  if (!ws) throw new PermanentInvoiceError('WorkspaceNotFound', `workspace ${workspaceId} does not exist`);
  if (ws.stripe_customer_id) return ws.stripe_customer_id;
  const customer = await createCustomer(stripe, { workspaceId, name: ws.name, email: ws.billing_email }).catch((err: unknown) =>
    rethrow(err, (code, reason) => new PermanentStripeError('StripeCustomerRejected', `${reason} (${code})`)),
  );
  // First writer wins; a concurrent call got the same customer from the idempotency key anyway.
  const { rows: kept } = await pool.query<{ stripe_customer_id: string }>(
    `UPDATE workspaces SET stripe_customer_id = COALESCE(stripe_customer_id, $2), updated_at = now()
     WHERE id = $1 RETURNING stripe_customer_id`,
    [workspaceId, customer.id],
  );
  return kept[0]!.stripe_customer_id;
}

/**
 * Puts a card on file: customer (once), attach, make it the customer's
 * default for off-session charges, remember it in workspaces.payment_method.
 */
export async function ensurePaymentMethod(
  pool: Pool,
  stripe: Stripe,
  workspaceId: string,
  paymentMethod: string,
): Promise<{ customerId: string; paymentMethodId: string; card: CardOnFile | null }> {
  if (!/^pm_[A-Za-z0-9_]{1,200}$/.test(paymentMethod)) {
    throw new PaymentMethodRejectedError('invalid_payment_method', `'${paymentMethod}' is not a Stripe payment method id (pm_...)`);
  }
  const customerId = await ensureCustomer(pool, stripe, workspaceId);
  const reject = (code: string, reason: string) => new PaymentMethodRejectedError(code, reason);
  const pm = await attachPaymentMethod(stripe, customerId, paymentMethod).catch((err: unknown) => rethrow(err, reject));
  await setDefaultPaymentMethod(stripe, customerId, pm.id).catch((err: unknown) => rethrow(err, reject));
  await pool.query(`UPDATE workspaces SET payment_method = $2, updated_at = now() WHERE id = $1`, [workspaceId, pm.id]);
  // Brand and last 4 come with the attach answer: the workflow shows them to ops at no extra request.
  return { customerId, paymentMethodId: pm.id, card: pm.card ? { brand: pm.card.brand, last4: pm.card.last4 } : null };
}
