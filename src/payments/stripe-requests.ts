// Every request this project makes to Stripe, in one place so a test can run
// each of them against stripe-mock (well-formed for the real API) and against
// the sandbox (outcomes). Idempotency keys come from business identity.
import type Stripe from 'stripe';

export const customerIdempotencyKey = (workspaceId: string) => `customer:${workspaceId}`;
export const chargeIdempotencyKey = (invoiceId: string, attempt: number) => `invoice:${invoiceId}:attempt:${attempt}`;

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
export function createOffSessionPaymentIntent(stripe: Stripe, c: OffSessionCharge): Promise<Stripe.PaymentIntent> {
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
    { idempotencyKey: chargeIdempotencyKey(c.invoiceId, c.attempt) },
  );
}
