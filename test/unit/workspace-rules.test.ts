import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { canonicalJson } from '../../src/domain/canonical-json';
import {
  validateImportedAnchor,
  BillingRuleError,
  classifyPlanChange,
  DAY_MS,
  dunningRetryAt,
  MAX_PAYMENT_ATTEMPTS,
  resolvePlan,
  validateCreateRequest,
  validateFeatureName,
  validateOnDemand,
  validatePurchaseCredits,
} from '../../src/domain/workspace';

const pricing = loadPricing();
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof BillingRuleError ? err.code : `unexpected: ${String(err)}`;
  }
};

describe('plan changes (rules 5, 6, 7)', () => {
  const plan = (id: string, priceCents: number, enterprise: { monthlyCredits: number; monthlyPriceCents: number } | null = null) => ({
    plan: id,
    enterprise,
    priceCents,
  });
  it.each([
    ['free -> pro', plan('free', 0), plan('pro', 2900), 'upgrade'],
    ['pro -> growth', plan('pro', 2900), plan('growth', 24900), 'upgrade'],
    ['growth -> pro', plan('growth', 24900), plan('pro', 2900), 'scheduled'],
    ['pro -> free', plan('pro', 2900), plan('free', 0), 'scheduled'],
    ['pro -> pro', plan('pro', 2900), plan('pro', 2900), 'unchanged'],
    ['enterprise at a higher price', plan('growth', 24900), plan('enterprise', 90000, { monthlyCredits: 5000, monthlyPriceCents: 90000 }), 'upgrade'],
    ['enterprise, same price, more credits', plan('enterprise', 90000, { monthlyCredits: 5000, monthlyPriceCents: 90000 }), plan('enterprise', 90000, { monthlyCredits: 9000, monthlyPriceCents: 90000 }), 'scheduled'],
    ['enterprise, same terms', plan('enterprise', 90000, { monthlyCredits: 5000, monthlyPriceCents: 90000 }), plan('enterprise', 90000, { monthlyCredits: 5000, monthlyPriceCents: 90000 }), 'unchanged'],
  ])('%s is %s', (_, from, to, kind) => {
    expect(classifyPlanChange(from, to)).toBe(kind);
  });

  it.each([
    ['pro', undefined, 'ok'],
    ['platinum', undefined, 'validation_failed'],
    ['enterprise', undefined, 'validation_failed'],
    ['enterprise', { monthlyCredits: 5000, monthlyPriceCents: 90000 }, 'ok'],
    ['enterprise', { monthlyCredits: -1, monthlyPriceCents: 90000 }, 'validation_failed'],
    ['enterprise', { monthlyCredits: 10, monthlyPriceCents: 1.5 }, 'validation_failed'],
    // At most one Stripe charge a month ($999,999.99); above the integer columns, a price hung the workflow.
    ['enterprise', { monthlyCredits: 100_000_000, monthlyPriceCents: 99_999_999 }, 'ok'],
    ['enterprise', { monthlyCredits: 10, monthlyPriceCents: 100_000_000 }, 'validation_failed'],
    ['enterprise', { monthlyCredits: 10, monthlyPriceCents: 3_000_000_000 }, 'validation_failed'],
    ['enterprise', { monthlyCredits: 100_000_001, monthlyPriceCents: 0 }, 'validation_failed'],
    ['pro', { monthlyCredits: 5000, monthlyPriceCents: 90000 }, 'validation_failed'],
  ])('resolvePlan(%s, %j) -> %s', (p, enterprise, expected) => {
    expect(code(() => resolvePlan(pricing, p, enterprise))).toBe(expected);
  });

  it('a paid plan at sign-up needs a payment method; free does not', () => {
    const base = { id: 'w', name: 'W', billingEmail: 'a@b.c', billingAddress: { country: 'US' } };
    expect(code(() => validateCreateRequest(pricing, { ...base, plan: 'pro' }))).toBe('payment_method_required');
    expect(code(() => validateCreateRequest(pricing, { ...base, plan: 'pro', paymentMethod: 'pm_card_visa' }))).toBe('ok');
    expect(code(() => validateCreateRequest(pricing, { ...base, plan: 'free' }))).toBe('ok');
  });
});

describe('request checks', () => {
  it.each([
    [99, 'validation_failed'],
    [100, 'ok'],
    [1000, 'ok'],
    [100_000, 'ok'],
    [100_001, 'validation_failed'],
    [150.5, 'validation_failed'],
  ])('purchase of %d credits -> %s (rule 8)', (credits, expected) => {
    expect(code(() => validatePurchaseCredits(pricing, credits))).toBe(expected);
  });

  it.each([
    [{ enabled: true, monthlyLimit: 0 }, 'ok'],
    [{ enabled: false, monthlyLimit: 1000 }, 'ok'],
    [{ enabled: true, monthlyLimit: -1 }, 'validation_failed'],
    [{ enabled: true, monthlyLimit: 2.5 }, 'validation_failed'],
    [{ enabled: 'yes' as unknown as boolean, monthlyLimit: 10 }, 'validation_failed'],
  ])('on-demand %j -> %s (rule 9)', (settings, expected) => {
    expect(code(() => validateOnDemand(settings))).toBe(expected);
  });

  it.each([
    ['chat', 'ok'],
    ['ai.assist-v2', 'ok'],
    ['Chat', 'ok'], // case-insensitive: switched as 'chat'
    ['slack:bot', 'ok'], // the vocabulary usage accepts
    ['chat bot', 'validation_failed'],
    ['', 'validation_failed'],
    ['x'.repeat(65), 'validation_failed'],
  ])('feature name %s -> %s (rule 10)', (feature, expected) => {
    expect(code(() => validateFeatureName(feature))).toBe(expected);
  });
});

describe('dunning schedule (rule 13)', () => {
  const failedAt = Date.UTC(2026, 0, 31, 9);
  it.each([
    [1, failedAt + 1 * DAY_MS],
    [2, failedAt + 3 * DAY_MS],
    [3, failedAt + 7 * DAY_MS],
    [4, null],
  ])('after %i attempts the next retry is due at %s', (attempts, due) => {
    expect(dunningRetryAt(failedAt, attempts)).toBe(due);
  });
  it('counts four attempts in all', () => expect(MAX_PAYMENT_ATTEMPTS).toBe(4));
});

describe('canonical JSON', () => {
  it('ignores key order, keeps array order and values', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe(canonicalJson({ a: { c: null, d: [2, 1] }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });
});

describe('validateImportedAnchor', () => {
  const now = Date.parse('2028-03-15T12:00:00Z');
  it.each([
    ['now', now, null],
    ['20 days ago', now - 20 * 86_400_000, null],
    ['years ago', Date.parse('2021-01-31T12:00:00Z'), null],
    ['a second in the future', now + 1000, /future/],
    ['not an integer', 1.5, /epoch milliseconds/],
  ])('%s', (_name, anchor, error) => {
    if (error) expect(() => validateImportedAnchor(anchor, now)).toThrow(error);
    else expect(() => validateImportedAnchor(anchor, now)).not.toThrow();
  });
});
