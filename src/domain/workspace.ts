// Workspace-level billing rules that need no IO: request checks shared by the
// API and the workflow's update validators, plan-change classification and
// the dunning schedule.
import { CodedError } from './failure-codes';
import { FEATURE_PATTERN, isFeatureName } from './features';
import { planTerms, type EnterpriseTerms, type PlanId, type PricingConfig } from './pricing';
import { findBadText } from './text';
import type { BillingAddress } from './tax';

/**
 * `signing_up` while the first payment is attempted, `signup_failed` when the
 * sign-up was refused: neither is a workspace yet (the API answers 404), but
 * the row stays because the refused attempt's void invoice refers to it.
 * `deleted` is a workspace purged after its retention period.
 */
export type WorkspaceStatus = 'signing_up' | 'signup_failed' | 'active' | 'past_due' | 'cancelled' | 'deleted';

/** Read-model statuses of a sign-up that has not created the workspace. */
export const NOT_CREATED_STATUSES: readonly WorkspaceStatus[] = ['signing_up', 'signup_failed'];

export type { BillingAddress };

export interface CreateWorkspaceRequest {
  id: string;
  name: string;
  billingEmail: string;
  billingAddress: BillingAddress;
  plan: PlanId;
  enterprise?: EnterpriseTerms;
  paymentMethod?: string;
}

export interface OnDemandSettings {
  enabled: boolean;
  /** Credits of overage allowed per term; 0 = unlimited. */
  monthlyLimit: number;
}

/** The read model the usage hot path decides on (table `workspaces`). */
export interface WorkspaceSnapshot {
  id: string;
  name: string;
  billingEmail: string;
  billingAddress: BillingAddress;
  plan: PlanId;
  planCredits: number;
  planPriceCents: number;
  status: WorkspaceStatus;
  anchorAt: number;
  termIndex: number;
  termStart: number;
  termEnd: number;
  scheduledPlan: PlanId | null;
  onDemand: OnDemandSettings;
  disabledFeatures: string[];
  cancelAt: number | null;
  retentionUntil: number | null;
  /**
   * Credits below which `credits.low` is sent (rule 11); null = the pricing
   * config's default percentage of the plan allocation. Absent: never set
   * through the workflow, and the read model keeps what it holds.
   */
  lowBalanceThreshold?: number | null;
}

export const DAY_MS = 86_400_000;
export const RETENTION_DAYS = 30;
/** Renewal payment retries, in days after the first failure (rule 13). */
export const DUNNING_RETRY_DAYS = [1, 3, 7] as const;
export const MAX_ON_DEMAND_LIMIT = 10_000_000;
/** A low-balance threshold in credits (rule 11); fits the read model's integer column. */
export const MAX_LOW_BALANCE_THRESHOLD = 1_000_000_000;
/** Enterprise terms: credits fit the ledger's integer balances; a month's price is one Stripe charge (at most $999,999.99). */
export const MAX_ENTERPRISE_CREDITS = 100_000_000;
export const MAX_ENTERPRISE_PRICE_CENTS = 99_999_999;

/** A business-rule refusal (the workflow reports it as a failure of the same code). */
export class BillingRuleError extends CodedError<'validation_failed' | 'payment_method_required' | 'invalid_state' | 'conflict'> {
  override name = 'BillingRuleError';
}

function fail(code: BillingRuleError['code'], message: string): never {
  throw new BillingRuleError(code, message);
}

/** Checks a plan choice against the catalog; returns the credits and price it gives. */
export function resolvePlan(pricing: PricingConfig, plan: PlanId, enterprise?: EnterpriseTerms | null): EnterpriseTerms {
  const cfg = pricing.plans[plan];
  if (!cfg) fail('validation_failed', `unknown plan '${plan}'; plans: ${Object.keys(pricing.plans).join(', ')}`);
  const custom = cfg.monthlyCredits === null || cfg.monthlyPriceCents === null;
  if (custom && !enterprise) fail('validation_failed', `plan '${plan}' needs enterprise terms {monthlyCredits, monthlyPriceCents}`);
  if (!custom && enterprise) fail('validation_failed', `enterprise terms are only allowed with a custom plan, not '${plan}'`);
  if (enterprise) {
    const { monthlyCredits, monthlyPriceCents } = enterprise;
    if (!Number.isSafeInteger(monthlyCredits) || monthlyCredits < 0 || monthlyCredits > MAX_ENTERPRISE_CREDITS) {
      fail('validation_failed', `enterprise.monthlyCredits must be an integer from 0 to ${MAX_ENTERPRISE_CREDITS}`);
    }
    if (!Number.isSafeInteger(monthlyPriceCents) || monthlyPriceCents < 0 || monthlyPriceCents > MAX_ENTERPRISE_PRICE_CENTS) {
      fail('validation_failed', `enterprise.monthlyPriceCents must be an integer from 0 to ${MAX_ENTERPRISE_PRICE_CENTS}`);
    }
  }
  return planTerms(pricing, plan, enterprise);
}

/**
 * The terms a workspace renews on: the catalog's current price and allocation
 * for its plan; enterprise terms are per workspace. A plan no longer in the
 * catalog (or no longer a fixed-price plan) keeps its last terms, marked
 * `retired` so ops see it.
 */
export function renewalTerms(
  pricing: PricingConfig,
  plan: PlanId,
  enterprise: EnterpriseTerms | null,
  last: EnterpriseTerms,
): { terms: EnterpriseTerms; retired: boolean } {
  if (enterprise) return { terms: { monthlyCredits: enterprise.monthlyCredits, monthlyPriceCents: enterprise.monthlyPriceCents }, retired: false };
  const cfg = pricing.plans[plan];
  if (!cfg || cfg.monthlyCredits === null || cfg.monthlyPriceCents === null) {
    return { terms: { monthlyCredits: last.monthlyCredits, monthlyPriceCents: last.monthlyPriceCents }, retired: true };
  }
  return { terms: { monthlyCredits: cfg.monthlyCredits, monthlyPriceCents: cfg.monthlyPriceCents }, retired: false };
}

/** Refuses a request carrying a string that breaks the text rule (src/domain/text.ts), naming the field. */
export function validateRequestText(request: unknown): void {
  const bad = findBadText(request);
  if (bad) fail('validation_failed', `${bad.path === '/' ? 'the value' : bad.path} ${bad.problem}`);
}

export function validateCreateRequest(pricing: PricingConfig, req: CreateWorkspaceRequest): EnterpriseTerms {
  const terms = resolvePlan(pricing, req.plan, req.enterprise);
  if (terms.monthlyPriceCents > 0 && !req.paymentMethod) {
    fail('payment_method_required', `plan '${req.plan}' costs money: send a paymentMethod`);
  }
  return terms;
}

/** An imported subscription's anchor: any past instant (terms keep counting from it). */
export function validateImportedAnchor(anchor: number, now: number): void {
  if (!Number.isSafeInteger(anchor)) fail('validation_failed', 'anchorAt must be an instant in epoch milliseconds');
  if (anchor > now) fail('validation_failed', 'anchorAt must not be in the future');
}

export type PlanChangeKind = 'unchanged' | 'upgrade' | 'scheduled';

/** Rule 5/6: a higher monthly price is an upgrade (immediate); anything else waits for renewal. */
export function classifyPlanChange(
  current: { plan: PlanId; enterprise: EnterpriseTerms | null; priceCents: number },
  next: { plan: PlanId; enterprise: EnterpriseTerms | null; priceCents: number },
): PlanChangeKind {
  const sameTerms =
    current.plan === next.plan &&
    current.enterprise?.monthlyCredits === next.enterprise?.monthlyCredits &&
    current.enterprise?.monthlyPriceCents === next.enterprise?.monthlyPriceCents;
  if (sameTerms) return 'unchanged';
  return next.priceCents > current.priceCents ? 'upgrade' : 'scheduled';
}

export function validatePurchaseCredits(pricing: PricingConfig, credits: number): void {
  const { minCredits, maxCredits } = pricing.purchase;
  if (!Number.isInteger(credits) || credits < minCredits || credits > maxCredits) {
    fail('validation_failed', `credits must be an integer from ${minCredits} to ${maxCredits}, got ${credits}`);
  }
}

export function validateOnDemand(settings: OnDemandSettings): void {
  if (typeof settings.enabled !== 'boolean') fail('validation_failed', 'enabled must be a boolean');
  const l = settings.monthlyLimit;
  if (!Number.isInteger(l) || l < 0 || l > MAX_ON_DEMAND_LIMIT) {
    fail('validation_failed', `monthlyLimit must be an integer from 0 (unlimited) to ${MAX_ON_DEMAND_LIMIT}`);
  }
}

export function validateLowBalanceThreshold(threshold: number | null): void {
  if (threshold === null) return;
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > MAX_LOW_BALANCE_THRESHOLD) {
    fail('validation_failed', `threshold must be an integer from 0 to ${MAX_LOW_BALANCE_THRESHOLD} credits, or null for the default`);
  }
}

export function validateFeatureName(feature: string): void {
  if (!isFeatureName(feature)) fail('validation_failed', `feature must match ${FEATURE_PATTERN.source} (case does not matter)`);
}

/**
 * When the next renewal-payment retry is due, given how many attempts were
 * made (the first charge is attempt 1); null once every retry is spent.
 */
export function dunningRetryAt(firstFailedAt: number, attemptsMade: number): number | null {
  const days = DUNNING_RETRY_DAYS[attemptsMade - 1];
  return days === undefined ? null : firstFailedAt + days * DAY_MS;
}

export const MAX_PAYMENT_ATTEMPTS = DUNNING_RETRY_DAYS.length + 1;
