import type Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { ensurePaymentMethod } from '../../src/payments/customers';
import { createStripeClient } from '../../src/payments/stripe-client';
import {
  attachPaymentMethod,
  cancelPaymentIntent,
  createCustomer,
  createOffSessionPaymentIntent,
  listInvoicePaymentIntents,
  refundPaymentIntent,
  setDefaultPaymentMethod,
} from '../../src/payments/stripe-requests';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

// The official stripe-mock validates every request against Stripe's OpenAPI
// spec (unknown or malformed parameters are rejected), so these prove our
// requests are well-formed for the real API. Its answers are canned, so
// outcomes are tested against the sandbox instead.
let stripe: Stripe;
let pool: Pool;

beforeAll(() => {
  stripe = createStripeClient({ secretKey: 'sk_test_123', apiBase: `http://127.0.0.1:${inject('stripeMockPort')}` });
  pool = createPool(inject('databaseUrl'), 2);
});
afterAll(async () => {
  await pool?.end();
});

describe('every Stripe request the project makes is accepted by stripe-mock', () => {
  it('customer create', async () => {
    const customer = await createCustomer(stripe, { workspaceId: 'ws-1', name: 'Acme', email: 'finance@acme.example' });
    expect(customer.object).toBe('customer');
  });

  it('payment method attach', async () => {
    const pm = await attachPaymentMethod(stripe, 'cus_123', 'pm_card_visa');
    expect(pm.object).toBe('payment_method');
  });

  it('default payment method update', async () => {
    const customer = await setDefaultPaymentMethod(stripe, 'cus_123', 'pm_123');
    expect(customer.object).toBe('customer');
  });

  it('off-session PaymentIntent create + confirm', async () => {
    const pi = await createOffSessionPaymentIntent(stripe, {
      invoiceId: '00000000-0000-4000-8000-000000000001',
      invoiceNumber: 'INV-2025-000001',
      workspaceId: 'ws-1',
      amountCents: 2900,
      customerId: 'cus_123',
      paymentMethodId: 'pm_123',
      attempt: 1,
    }, 'invoice:00000000-0000-4000-8000-000000000001:attempt:1');
    expect(pi.object).toBe('payment_intent');
  });

  it("listing a customer's PaymentIntents (an invoice's, by metadata)", async () => {
    const found = await listInvoicePaymentIntents(stripe, { customerId: 'cus_123', invoiceId: 'inv-1', createdSinceMs: Date.parse('2025-01-01T00:00:00Z') });
    expect(Array.isArray(found)).toBe(true); // stripe-mock's canned PaymentIntent carries no such metadata
  });

  it('PaymentIntent cancel', async () => {
    expect((await cancelPaymentIntent(stripe, 'pi_123')).object).toBe('payment_intent');
  });

  it('refund of a PaymentIntent', async () => {
    const refund = await refundPaymentIntent(stripe, { paymentIntentId: 'pi_123', invoiceId: 'inv-1', reason: 'duplicate_payment' });
    expect(refund.object).toBe('refund');
  });

  it('the whole card-on-file flow through the real client and the database', async () => {
    const id = await insertWorkspace(pool, { id: uniqueId('mock') });
    const { customerId, paymentMethodId, card } = await ensurePaymentMethod(pool, stripe, id, 'pm_card_visa');
    expect(customerId).toMatch(/^cus_/);
    expect(card).toEqual({ brand: expect.any(String), last4: expect.stringMatching(/^\d{4}$/) }); // shown to ops
    expect(paymentMethodId).toMatch(/^pm_/);
    const { rows } = await pool.query(`SELECT stripe_customer_id, payment_method FROM workspaces WHERE id = $1`, [id]);
    expect(rows[0]).toEqual({ stripe_customer_id: customerId, payment_method: paymentMethodId });
  });
});
