// Subscribing again during retention, decided without Temporal (rule 12):
// refused without a card when it costs money or debt is owed; otherwise a new
// anchor now, paid before anything changes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from '../../src/domain/failure-codes';
import { addMonthsClamped } from '../../src/domain/terms';
import { DAY_MS } from '../../src/domain/workspace';
import { owesBeforeResubscribing, resubscribeRefusal, resubscribeSteps, unpaidDebtRefusal } from '../../workflows/decisions/resubscribe';
import type { Step } from '../../workflows/decisions/steps';
import { subscribedState, T0, unpaidInvoice } from '../helpers/decision-state';

const pro = { monthlyCredits: 100, monthlyPriceCents: 2900 };
const free = { monthlyCredits: 25, monthlyPriceCents: 0 };
const inRetention = (over = {}) => subscribedState({ phase: 'retention', status: 'cancelled', termIndex: 3, retentionUntil: T0 + 40 * DAY_MS, ...over });
const NOW = T0 + 20 * DAY_MS;

describe('re-subscription decisions', () => {
  it('a paid plan needs a card; owed invoices need one too (since debt survives cancellation), even for the free plan', () => {
    expect(resubscribeRefusal(inRetention({ paymentMethod: null }), 'pro', pro, true)).toMatchObject({ code: FailureCodes.paymentMethodRequired });
    expect(resubscribeRefusal(inRetention({ paymentMethod: null }), 'free', free, true)).toBeNull();
    const owing = inRetention({ paymentMethod: null, unpaid: [unpaidInvoice(2)] });
    expect(resubscribeRefusal(owing, 'free', free, true)).toMatchObject({ message: expect.stringMatching(/unpaid invoices/) });
    expect(resubscribeRefusal(owing, 'free', free, false)).toBeNull(); // older runs wrote the debt off
    expect(owesBeforeResubscribing(owing, true)).toBe(true);
    expect(owesBeforeResubscribing(owing, false)).toBe(false);
  });

  it('the new subscription: its first term invoiced per request and charged (a decline voids it), then the state, the term, delivery', () => {
    const steps = resubscribeSteps(inRetention(), { plan: 'pro', enterprise: null, terms: pro, requestId: 'upd-9' }, NOW, true);
    const term = { index: 4, start: NOW, end: addMonthsClamped(NOW, 1) };
    expect(steps).toEqual([
      { kind: 'issue-base-invoice', term, plan: { plan: 'pro', priceCents: 2900 }, key: 'resubscribe:ws-1:upd-9' },
      { kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'payment failed: ' } },
      {
        kind: 'update-state',
        patch: {
          plan: 'pro', enterprise: null, planCredits: 100, planPriceCents: 2900, anchor: NOW, anchorTermIndex: 4, termIndex: 4,
          status: 'active', phase: 'subscribed', cancelAt: null, retentionUntil: null, scheduledChange: null,
        },
      },
      { kind: 'open-term', term },
      { kind: 'finalize-invoice' },
      { kind: 'sync', summary: 'Re-subscribed during retention: purge stopped, new anchor' },
    ]);
  });

  it('runs from before debt survived cancellation keep their renewal key and write unpaid invoices off', () => {
    const steps = resubscribeSteps(inRetention({ unpaid: [unpaidInvoice(2)] }), { plan: 'pro', enterprise: null, terms: pro, requestId: 'u' }, NOW, false);
    expect(steps[0]).toMatchObject({ kind: 'issue-base-invoice', key: undefined });
    expect(steps[2]).toMatchObject({ kind: 'update-state', patch: { unpaid: [] } });
  });
});

describe('re-subscription (property)', () => {
  it('the charge comes before any change of state; the new term starts now, after every earlier term, and opens as invoiced', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 4000 }), fc.boolean(), (termIndex, days, collects) => {
        const now = Date.UTC(2020, 0, 31) + days * DAY_MS;
        const steps = resubscribeSteps(inRetention({ termIndex }), { plan: 'pro', enterprise: null, terms: pro, requestId: 'r' }, now, collects);
        const kinds = steps.map((s) => s.kind);
        expect(kinds.indexOf('charge')).toBeLessThan(kinds.indexOf('update-state'));
        const invoiced = steps.find((s): s is Extract<Step, { kind: 'issue-base-invoice' }> => s.kind === 'issue-base-invoice')!;
        const opened = steps.find((s): s is Extract<Step, { kind: 'open-term' }> => s.kind === 'open-term')!;
        expect(opened.term).toEqual(invoiced.term);
        expect(opened.term).toMatchObject({ index: termIndex + 1, start: now });
        expect(opened.term.end).toBeGreaterThan(now);
      }),
    );
  });
});

describe('unpaid debt after collecting (re-subscription)', () => {
  it('nothing left unpaid: no refusal', () => {
    expect(unpaidDebtRefusal([])).toBeNull();
  });

  it('what stays unpaid refuses with payment_required, the amount due, the invoices and the last decline reason', () => {
    const a = { ...unpaidInvoice(2, T0, 'a'), lastReason: 'insufficient_funds' };
    const b = unpaidInvoice(1, T0, 'b');
    expect(unpaidDebtRefusal([a, b])).toEqual({
      code: FailureCodes.paymentRequired,
      message: '2 unpaid invoice(s), 5800 cents, must be paid before subscribing again: insufficient_funds',
      details: { amountDueCents: 5800, invoiceIds: ['a', 'b'], reason: 'insufficient_funds' },
    });
  });

  it('an invoice from an older run without an amount counts as 0 cents but is still listed', () => {
    const { totalCents: _none, ...old } = unpaidInvoice(1, T0, 'old');
    expect(unpaidDebtRefusal([old])?.details).toEqual({ amountDueCents: 0, invoiceIds: ['old'], reason: 'card_declined' });
  });
});
