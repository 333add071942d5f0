// Every request this project makes to Stripe, in one place so a test can run
// each of them against stripe-mock (well-formed for the real API) and against
// the sandbox (outcomes). Idempotency keys come from business identity.
import type Stripe from 'stripe';

export const customerIdempotencyKey = (workspaceId: string) => `customer:${workspaceId}`;
/** Generation 0 is the attempt's first key; a later one replaces a key too old to trust Stripe still knows it. */
export const chargeIdempotencyKey = (invoiceId: string, attempt: number, generation = 0) =>
  generation === 0 ? `invoice:${invoiceId}:attempt:${attempt}` : `invoice:${invoiceId}:attempt:${attempt}:key:${generation}`;
export const refundIdempotencyKey = (paymentIntentId: string) => `refund:${paymentIntentId}`;
export const cancelIdempotencyKey = (paymentIntentId: string) => `cancel:${paymentIntentId}`;

/** Creates the workspace's Stripe customer; the same workspace always gets the same customer back (within Stripe's 24 h key window; the database remembers it beyond). */
export function createCustomer(
  stripe: Stripe,
  ws: { workspaceId: string; name: string; email: string },
): Promise<Stripe.Customer> {
  return stripe.customers.create(
    { name: ws.name, email: ws.email, metadata: { workspace_id: ws.workspaceId } },
    { idempotencyKey: customerIdempotencyKey(ws.workspaceId) },
  );
}

/**
 * Attaches a payment method to the customer. Stripe's test ids (pm_card_visa)
 * become a new payment method on attach: use the returned id from then on.
 */
export function attachPaymentMethod(stripe: Stripe, customerId: string, paymentMethod: string): Promise<Stripe.PaymentMethod> {
  return stripe.paymentMethods.attach(
    paymentMethod,
    { customer: customerId },
    { idempotencyKey: `attach:${customerId}:${paymentMethod}` },
  );
}

/** Makes it the customer's default. Naturally idempotent, so no key: a later switch back must really run. */
export function setDefaultPaymentMethod(stripe: Stripe, customerId: string, paymentMethodId: string): Promise<Stripe.Customer> {
  return stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } });
}

export interface OffSessionCharge {
  invoiceId: string;
  invoiceNumber: string;
  workspaceId: string;
  amountCents: number;
  customerId: string;
  paymentMethodId: string;
  attempt: number;
}

/**
 * Creates and confirms a PaymentIntent off-session on the customer's default
 * card. The key is derived from invoice + attempt: a retried activity gets the
 * same PaymentIntent back instead of a second charge; a dunning retry (next
 * attempt) is a new charge. Metadata lets the webhook find the workspace.
 */
export function createOffSessionPaymentIntent(stripe: Stripe, c: OffSessionCharge, idempotencyKey: string): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create(
    {
      amount: c.amountCents,
      currency: 'usd',
      customer: c.customerId,
      payment_method: c.paymentMethodId,
      // Off-session charges cannot follow redirects (and so need no return_url).
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
      confirm: true,
      off_session: true,
      description: `Invoice ${c.invoiceNumber}`,
      metadata: {
        workspace_id: c.workspaceId,
        invoice_id: c.invoiceId,
        invoice_number: c.invoiceNumber,
        attempt: String(c.attempt),
      },
    },
    { idempotencyKey },
  );
}

/**
 * Every PaymentIntent of one invoice: the customer's PaymentIntents created
 * since `createdSinceMs`, matched by metadata.invoice_id. The list endpoint is
 * strongly consistent (a PaymentIntent created a moment ago is in it), which a
 * decision about charging again needs; the search API is eventually consistent
 * (new objects can take a minute to appear) and so could miss the very payment
 * we are looking for.
 */
export async function listInvoicePaymentIntents(
  stripe: Stripe,
  q: { customerId: string; invoiceId: string; createdSinceMs: number },
): Promise<Stripe.PaymentIntent[]> {
  const found: Stripe.PaymentIntent[] = [];
  const pages = stripe.paymentIntents.list({ customer: q.customerId, created: { gte: Math.floor(q.createdSinceMs / 1000) }, limit: 100 });
  for await (const pi of pages) if (pi.metadata?.invoice_id === q.invoiceId) found.push(pi);
  return found;
}

/** Cancels a PaymentIntent we gave up on, so the customer can no longer complete it. */
export function cancelPaymentIntent(stripe: Stripe, paymentIntentId: string): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.cancel(paymentIntentId, { cancellation_reason: 'abandoned' }, { idempotencyKey: cancelIdempotencyKey(paymentIntentId) });
}

/** Refunds what is left of a PaymentIntent's charge; one refund per PaymentIntent, whatever retries. */
export function refundPaymentIntent(
  stripe: Stripe,
  r: { paymentIntentId: string; invoiceId: string; reason: 'invoice_void' | 'duplicate_payment' },
): Promise<Stripe.Refund> {
  return stripe.refunds.create(
    {
      payment_intent: r.paymentIntentId,
      ...(r.reason === 'duplicate_payment' ? { reason: 'duplicate' as const } : {}),
      metadata: { invoice_id: r.invoiceId, why: r.reason },
    },
    { idempotencyKey: refundIdempotencyKey(r.paymentIntentId) },
  );
}
