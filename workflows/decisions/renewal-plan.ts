// Pure renewal decision (no Temporal): the plan and terms the next term runs on.
import type { EnterpriseTerms, PricingConfig } from '../../src/domain/pricing';
import { renewalTerms, resolvePlan } from '../../src/domain/workspace';
import type { PlanChangeRequest } from '../definitions';

/** The plan in force, as the workflow state holds it. */
export interface PlanInForce {
  plan: string;
  enterprise: EnterpriseTerms | null;
  planCredits: number;
  planPriceCents: number;
  scheduledChange: PlanChangeRequest | null;
}

export interface RenewalPlan extends PlanInForce {
  /** scheduled: the change scheduled for renewal applies; catalog: the plan renews on the catalog's current terms; kept: nothing changes. */
  source: 'scheduled' | 'catalog' | 'kept';
  /** The plan left the catalog: it renews on its last terms (ops are told). */
  retired: boolean;
}

/**
 * What the next term runs on: a scheduled change wins (and is used up);
 * otherwise, with `currentCatalog`, the plan's terms as the catalog has them
 * now (its last terms if it left the catalog); otherwise the terms in force.
 * Throws the domain's BillingRuleError when a scheduled plan cannot be resolved.
 */
export function renewalPlan(pricing: PricingConfig, current: PlanInForce, currentCatalog: boolean): RenewalPlan {
  const change = current.scheduledChange;
  if (change) {
    const terms = resolvePlan(pricing, change.plan, change.enterprise);
    return {
      plan: change.plan,
      enterprise: change.enterprise ?? null,
      planCredits: terms.monthlyCredits,
      planPriceCents: terms.monthlyPriceCents,
      scheduledChange: null,
      source: 'scheduled',
      retired: false,
    };
  }
  const kept = { ...current, source: 'kept' as const, retired: false };
  if (!currentCatalog) return kept;
  const last = { monthlyCredits: current.planCredits, monthlyPriceCents: current.planPriceCents };
  const { terms, retired } = renewalTerms(pricing, current.plan, current.enterprise, last);
  return { ...kept, planCredits: terms.monthlyCredits, planPriceCents: terms.monthlyPriceCents, source: 'catalog', retired };
}
