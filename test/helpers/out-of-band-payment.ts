// An invoice paid outside our charge path (Stripe's hosted page, another
// card): a real succeeded PaymentIntent in the sandbox carrying the invoice's
// metadata, so the workflow's check with Stripe finds it.
import { createStripeClient } from '../../src/payments/stripe-client';
import type { BillingTestEnv } from './billing-env';

export async function payOutOfBand(t: BillingTestEnv, workspaceId: string, invoiceId: string): Promise<string> {
  const stripe = createStripeClient({ secretKey: 'sk_test_out_of_band', apiBase: t.sandbox.url });
  const { rows: [ws] } = await t.pool.query<{ stripe_customer_id: string }>(`SELECT stripe_customer_id FROM workspaces WHERE id = $1`, [workspaceId]);
  const invoice = (await t.invoices(workspaceId)).find((i) => i.id === invoiceId)!;
  const card = await stripe.paymentMethods.attach('pm_card_visa', { customer: ws!.stripe_customer_id });
  const pi = await stripe.paymentIntents.create({
    amount: invoice.total_cents, currency: 'usd', customer: ws!.stripe_customer_id, payment_method: card.id, confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' }, metadata: { workspace_id: workspaceId, invoice_id: invoiceId },
  });
  return pi.id;
}
