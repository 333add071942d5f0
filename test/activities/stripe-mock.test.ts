import Stripe from 'stripe';
import { describe, expect, inject, it } from 'vitest';

// The real stripe client over HTTP to the official stripe-mock: proves our
// requests are well-formed for the real API (stripe-mock validates them
// against Stripe's OpenAPI spec and rejects unknown parameters).
const stripe = new Stripe('sk_test_123', {
  host: '127.0.0.1',
  port: inject('stripeMockPort'),
  protocol: 'http',
  maxNetworkRetries: 0,
});

describe('stripe client against stripe-mock', () => {
  it('creates a customer', async () => {
    const customer = await stripe.customers.create({ email: 'finance@example.com', name: 'Acme' });
    expect(customer.object).toBe('customer');
    expect(customer.id).toMatch(/^cus_/);
  });

  it('rejects a malformed request the way Stripe would', async () => {
    await expect(
      stripe.customers.create({ email: 'x@example.com', not_a_param: 1 } as unknown as Stripe.CustomerCreateParams),
    ).rejects.toMatchObject({ type: 'StripeInvalidRequestError' });
  });
});
