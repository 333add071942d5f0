// What the next term runs on, decided without Temporal (SPEC rules 6 and 7,
// README "renewal on the current catalog").
import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { BillingRuleError } from '../../src/domain/workspace';
import { renewalPlan, type PlanInForce } from '../../workflows/decisions/renewal-plan';

const pricing = loadPricing();
const inForce = (over: Partial<PlanInForce> = {}): PlanInForce => ({
  plan: 'pro',
  enterprise: null,
  planCredits: 80,
  planPriceCents: 1900,
  scheduledChange: null,
  ...over,
});

describe('renewalPlan', () => {
  it('a scheduled change applies at renewal on the catalog terms of its plan, and is used up', () => {
    expect(renewalPlan(pricing, inForce({ scheduledChange: { plan: 'free' } }), true)).toEqual({
      plan: 'free',
      enterprise: null,
      planCredits: 25,
      planPriceCents: 0,
      scheduledChange: null,
      source: 'scheduled',
      retired: false,
    });
  });

  it('a scheduled enterprise change brings its own terms', () => {
    const enterprise = { monthlyCredits: 5000, monthlyPriceCents: 99_000 };
    expect(renewalPlan(pricing, inForce({ scheduledChange: { plan: 'enterprise', enterprise } }), false)).toMatchObject({
      plan: 'enterprise',
      enterprise,
      planCredits: 5000,
      planPriceCents: 99_000,
      source: 'scheduled',
    });
  });

  it('without a change the plan renews on the catalog as it is now', () => {
    expect(renewalPlan(pricing, inForce(), true)).toMatchObject({ plan: 'pro', planCredits: 100, planPriceCents: 2900, source: 'catalog', retired: false });
  });

  it('a plan that left the catalog renews on its last terms, flagged retired', () => {
    expect(renewalPlan(pricing, inForce({ plan: 'legacy' }), true)).toMatchObject({
      plan: 'legacy',
      planCredits: 80,
      planPriceCents: 1900,
      source: 'catalog',
      retired: true,
    });
  });

  it('histories from before the current-catalog rule keep the terms in force', () => {
    expect(renewalPlan(pricing, inForce(), false)).toEqual({ ...inForce(), source: 'kept', retired: false });
  });

  it('a scheduled plan the catalog no longer resolves is a rule refusal (the renewal step blocks)', () => {
    expect(() => renewalPlan(pricing, inForce({ scheduledChange: { plan: 'gone' } }), true)).toThrow(BillingRuleError);
  });
});
