import { describe, expect, it } from 'vitest';
import { FormError, parseForm } from '../../src/stripe-sandbox/form';

describe("the sandbox reads Stripe's form encoding", () => {
  it.each([
    ['amount=2900&currency=usd', { amount: '2900', currency: 'usd' }],
    ['metadata[workspace_id]=ws-1&metadata[invoice_id]=abc', { metadata: { workspace_id: 'ws-1', invoice_id: 'abc' } }],
    ['invoice_settings[default_payment_method]=pm_1', { invoice_settings: { default_payment_method: 'pm_1' } }],
    ['payment_method_types[0]=card&payment_method_types[1]=link', { payment_method_types: ['card', 'link'] }],
    ['expand[]=a&expand[]=b', { expand: ['a', 'b'] }],
    ['description=Invoice+INV-2025-000001%20%E2%86%92', { description: 'Invoice INV-2025-000001 →' }],
    ['a[b][c]=1', { a: { b: { c: '1' } } }],
    ['', {}],
  ])('%s', (body, expected) => expect(parseForm(body)).toEqual(expected));

  it('rejects malformed names', () => {
    expect(() => parseForm('a]b=1')).toThrow(FormError);
  });
});
