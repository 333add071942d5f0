// The model checker's reference model (test/model/reference) on its own: the
// rules it states, checked on the examples of the product documents.
import { describe, expect, it } from 'vitest';
import { DAY, plusMonths, termBounds } from '../model/reference/calendar';
import { divHalfUp, prorate, taxOf } from '../model/reference/money';
import { BillingModel } from '../model/reference/model';
import { invoiceView } from '../model/reference/invoices';

const JAN31 = Date.UTC(2027, 0, 31, 10, 30);
const use = (m: BillingModel, key: string, extra: Partial<Parameters<BillingModel['usage']>[0]> = {}) =>
  m.usage({ key, memberId: 'a', action: 'chat_question', feature: 'chat', ...extra });

describe('reference model: terms and money', () => {
  it('terms keep the anchor day, clamped, computed from the anchor', () => {
    expect([1, 2, 3].map((n) => new Date(plusMonths(JAN31, n)).toISOString())).toEqual([
      '2027-02-28T10:30:00.000Z', '2027-03-31T10:30:00.000Z', '2027-04-30T10:30:00.000Z',
    ]);
    expect(termBounds(JAN31, 1)).toEqual({ start: plusMonths(JAN31, 1), end: plusMonths(JAN31, 2) });
  });

  it('half-up rounding, tax and whole-day proration', () => {
    expect([divHalfUp(5, 2), divHalfUp(4, 3), divHalfUp(0, 7)]).toEqual([3, 1, 0]);
    expect(taxOf(2900, 725)).toBe(210); // 210.25
    expect(taxOf(2, 2500)).toBe(1); // 0.5 rounds up
    const start = Date.UTC(2027, 3, 1);
    const end = plusMonths(start, 1); // 30 days
    expect(prorate(2000, start, end, start, DAY)).toBe(2000);
    expect(prorate(2000, start, end, end - 1, DAY)).toBe(67); // 1/30 of it
  });
});

describe('reference model: the account', () => {
  it('free -> pro replaces the plan bucket (5 left gives exactly 100), purchased credits survive renewals', () => {
    const m = new BillingModel();
    expect(m.create({ plan: 'free', paymentMethod: 'pm_card_visa' })).toEqual({ status: 201 });
    m.setAnchor(JAN31);
    for (let i = 0; i < 20; i++) use(m, `k${i}`);
    expect(m.purchase(100, 'p1')).toEqual({ status: 201 });
    expect(m.changePlan('pro', undefined, JAN31 + DAY)).toEqual({ status: 200 });
    expect(m.balance()).toEqual({ plan: 100, purchased: 100, total: 200 });
    m.advanceTo(m.term().end);
    expect(m.balance()).toEqual({ plan: 100, purchased: 100, total: 200 });
    expect(m.charges).toBe(3); // purchase, upgrade, renewal
  });

  it('usage: consumption order, 402 without partial charge, facts into overage then shortfall, replays and conflicts', () => {
    const m = new BillingModel();
    m.create({ plan: 'free' });
    expect(use(m, 'big', { action: 'ai_assist', tokens: 26_000 })).toEqual({ status: 402, code: 'credit_limit_reached' });
    m.setOnDemand(true, 5);
    const fact = use(m, 'fact', { action: 'ai_assist', tokens: 40_000, alreadyPerformed: true });
    expect(fact).toEqual({ status: 200, creditsCharged: 30, balance: { plan: 0, purchased: 0, total: 0 } });
    expect(use(m, 'fact', { action: 'ai_assist', tokens: 40_000, alreadyPerformed: true })).toEqual(fact);
    expect(use(m, 'fact')).toEqual({ status: 409, code: 'idempotency_conflict' });
    expect(use(m, 'fact', { action: 'browse_schema' })).toEqual({ status: 409, code: 'idempotency_conflict' });
    expect(use(m, 'next')).toEqual({ status: 402, code: 'credit_limit_reached' });
    m.setFeature('CHAT', false);
    expect(use(m, 'n2', { feature: 'Chat' })).toEqual({ status: 403, code: 'feature_disabled' });
  });

  it('dunning: 1/3/7 days, past_due after the fourth failure, a working card collects at once', () => {
    const m = new BillingModel();
    m.create({ plan: 'pro', paymentMethod: 'pm_card_visa' });
    m.setAnchor(JAN31);
    m.setPaymentMethod('pm_card_chargeCustomerFail');
    const end = m.term().end;
    m.advanceTo(end + 7 * DAY - 1);
    expect(m.status).toBe('active');
    m.advanceTo(end + 7 * DAY);
    expect(m.status).toBe('past_due');
    expect(use(m, 'x')).toEqual({ status: 402, code: 'payment_required' });
    m.setPaymentMethod('pm_card_visa');
    expect([m.status, m.unpaid.length]).toEqual(['active', 0]);
  });

  it('cancel: end of term, final overage invoice, retention, purge; a declined sign-up leaves the id free', () => {
    const m = new BillingModel();
    expect(m.create({ plan: 'pro', paymentMethod: 'pm_card_authenticationRequired' })).toEqual({ status: 402, code: 'payment_failed' });
    expect(m.create({ plan: 'free', paymentMethod: 'pm_card_chargeDeclined' })).toEqual({ status: 402, code: 'payment_method_rejected' });
    expect(m.create({ plan: 'free', paymentMethod: 'pm_card_visa' })).toEqual({ status: 201 });
    m.setAnchor(JAN31);
    m.setOnDemand(true, 0);
    for (let i = 0; i < 125; i++) use(m, `k${i}`);
    m.cancel();
    m.advanceTo(m.term().end);
    expect([m.status, m.overageBilled, m.charges]).toEqual(['cancelled', 100, 1]);
    expect(use(m, 'after')).toEqual({ status: 403, code: 'subscription_cancelled' });
    m.advanceTo(m.retentionUntil!);
    expect(m.status).toBe('deleted');
    expect(m.create({ plan: 'free' })).toEqual({ status: 409, code: 'workspace_deleted' });
  });

  it('small totals are carried forward to the next invoice', () => {
    const m = new BillingModel();
    m.create({ plan: 'free', paymentMethod: 'pm_card_visa' });
    m.setAnchor(JAN31);
    m.setOnDemand(true, 0);
    for (let i = 0; i < 35; i++) use(m, `k${i}`); // 10 overage credits: $0.10 + tax
    m.advanceTo(m.term().end);
    expect([m.carried?.totalCents, m.charges]).toEqual([11, 0]);
    expect(m.purchase(100, 'p')).toEqual({ status: 201 });
    expect([m.carried, m.chargedCents]).toEqual([null, 100 + 7 + 11]);
    expect(m.invoices.map(invoiceView)).toEqual([
      { kind: 'renewal', lines: [{ kind: 'base_fee', quantity: 1, unitAmountCents: 0, amountCents: 0 }, { kind: 'overage', quantity: 10, unitAmountCents: 1, amountCents: 10 }], subtotalCents: 10, taxCents: 1, totalCents: 11, status: 'paid' },
      { kind: 'credit_purchase', lines: [{ kind: 'credit_purchase', quantity: 100, unitAmountCents: 1, amountCents: 100 }, { kind: 'carried_forward', quantity: 1, unitAmountCents: 11, amountCents: 11 }], subtotalCents: 100, taxCents: 7, totalCents: 118, status: 'paid' },
    ]);
  });

  it('a declined sale voids its invoice and releases what it carried; a failed renewal is payment_failed until paid', () => {
    const m = new BillingModel();
    m.create({ plan: 'pro', paymentMethod: 'pm_card_visa' });
    m.setAnchor(JAN31);
    expect(m.invoices.map((i) => [i.kind, i.totalCents, i.status])).toEqual([['renewal', 2900 + 210, 'paid']]);
    m.setPaymentMethod('pm_card_chargeCustomerFail');
    expect(m.purchase(100, 'p')).toEqual({ status: 402, code: 'payment_failed' });
    m.advanceTo(m.term().end);
    expect(m.invoices.map((i) => [i.kind, i.status])).toEqual([['renewal', 'paid'], ['credit_purchase', 'void'], ['renewal', 'payment_failed']]);
    m.setPaymentMethod('pm_card_visa');
    m.advanceTo(m.term().start + DAY);
    expect(m.invoices.map((i) => i.status)).toEqual(['paid', 'void', 'paid']);
  });
});
