// Payment outcomes Stripe reported, decided without Temporal: a success is
// settled by the invoice's state; what the settlement found decides the
// re-render, the unpaid list and whether the others are collected at once.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PaymentSignal } from '../../src/domain/payment-signal';
import { legacyPaymentSignalSteps, paymentSignalSteps, settledPaymentSteps, type Settlement } from '../../workflows/decisions/payment-signals';
import { PATCH_COLLECT_AFTER_PAYMENT } from '../../workflows/patches';
import { T0, unpaidInvoice } from '../helpers/decision-state';

const signal = (invoiceId: string, type: PaymentSignal['type'] = 'payment_succeeded', n = 1): PaymentSignal =>
  ({ type, invoiceId, paymentIntentId: `pi_${invoiceId}_${n}`, eventId: `evt_${invoiceId}_${n}` }) as PaymentSignal;
const a = unpaidInvoice(1, T0, 'a');
const b = unpaidInvoice(2, T0, 'b');

describe('paymentSignalSteps', () => {
  it('a success is settled; a failure is dropped (the charge that failed reported it)', () => {
    expect(paymentSignalSteps(signal('a'))).toEqual([{ kind: 'settle-payment', signal: signal('a') }]);
    expect(paymentSignalSteps(signal('a', 'payment_failed'))).toEqual([]);
  });
});

describe('settledPaymentSteps', () => {
  it('it paid an unpaid invoice: rendered again, then it leaves the list, then the others are collected at once (behind the patch)', () => {
    expect(settledPaymentSteps([a, b], 'a', { outcome: 'paid', invoiceStatus: 'paid' })).toEqual([
      { kind: 'rerender-invoice', invoiceId: 'a', summary: 'Re-render paid invoice' },
      { kind: 'update-state', patch: { unpaid: [b] } },
      { kind: 'update-state', patch: { collectUnpaid: true }, onlyIfPatched: PATCH_COLLECT_AFTER_PAYMENT },
    ]);
  });

  it('the last unpaid invoice paid: nothing left to collect', () => {
    expect(settledPaymentSteps([a], 'a', { outcome: 'paid', invoiceStatus: 'paid' })).toEqual([
      { kind: 'rerender-invoice', invoiceId: 'a', summary: 'Re-render paid invoice' },
      { kind: 'update-state', patch: { unpaid: [] } },
    ]);
  });

  it('already paid in the database but still unpaid here (a retried step): rendered and removed all the same', () => {
    expect(settledPaymentSteps([a], 'a', { outcome: 'already', invoiceStatus: 'paid' })).toEqual([
      { kind: 'rerender-invoice', invoiceId: 'a', summary: 'Re-render paid invoice' },
      { kind: 'update-state', patch: { unpaid: [] } },
    ]);
  });

  it('a late payment on a void invoice is refunded; a refused refund is rendered for a person; nothing else changes', () => {
    expect(settledPaymentSteps([a], 'x', { outcome: 'refunded', invoiceStatus: 'void' })).toEqual([
      { kind: 'rerender-invoice', invoiceId: 'x', summary: 'Re-render invoice with its refund' },
    ]);
    expect(settledPaymentSteps([a], 'x', { outcome: 'refund_refused', invoiceStatus: 'void' })).toEqual([
      { kind: 'rerender-invoice', invoiceId: 'x', summary: 'Re-render invoice: refund refused by Stripe' },
    ]);
  });

  it('an ignored or already-settled payment of an invoice not unpaid here does nothing', () => {
    expect(settledPaymentSteps([a], 'x', { outcome: 'ignored', invoiceStatus: null })).toEqual([]);
    expect(settledPaymentSteps([a], 'x', { outcome: 'already', invoiceStatus: 'open' })).toEqual([]);
  });
});

describe('legacyPaymentSignalSteps (runs from before SETTLE_EVERY_PAYMENT_SIGNAL)', () => {
  it('a success for an unpaid invoice marks it paid, removes it, renders it; a second success for it and failures are dropped', () => {
    expect(legacyPaymentSignalSteps([a, b], [signal('a'), signal('a', 'payment_succeeded', 2), signal('b', 'payment_failed'), signal('z')])).toEqual([
      { kind: 'mark-invoice-paid', signal: signal('a') },
      { kind: 'update-state', patch: { unpaid: [b] } },
      { kind: 'rerender-invoice', invoiceId: 'a', summary: 'Re-render paid invoice' },
    ]);
  });
});

describe('settlement (property)', () => {
  const outcome = fc.constantFrom<Settlement['outcome']>('paid', 'refunded', 'refund_refused', 'already', 'ignored');
  const status = fc.constantFrom('paid', 'void', 'open', null);
  it('an invoice leaves the unpaid list exactly when the settlement found it paid; at most one re-render; collecting only after a payment with invoices left', () => {
    fc.assert(
      fc.property(fc.subarray(['a', 'b', 'c']), fc.constantFrom('a', 'b', 'z'), outcome, status, (ids, invoiceId, o, st) => {
        const unpaid = ids.map((id, i) => unpaidInvoice(i + 1, T0, id));
        const steps = settledPaymentSteps(unpaid, invoiceId, { outcome: o, invoiceStatus: st });
        const left = steps.reduce((list, s) => (s.kind === 'update-state' && s.patch.unpaid ? s.patch.unpaid : list), unpaid);
        expect(left.some((u) => u.invoiceId === invoiceId)).toBe(unpaid.some((u) => u.invoiceId === invoiceId) && st !== 'paid');
        expect(left.length).toBe(unpaid.length - (st === 'paid' && ids.includes(invoiceId) ? 1 : 0));
        expect(steps.filter((s) => s.kind === 'rerender-invoice').length).toBeLessThanOrEqual(1);
        const collects = steps.some((s) => s.kind === 'update-state' && s.patch.collectUnpaid === true);
        const paid = o === 'paid' || (st === 'paid' && ids.includes(invoiceId));
        expect(collects).toBe(paid && left.length > 0);
      }),
    );
  });
});
