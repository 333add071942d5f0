// Shape of the pricing config (SPEC section 2). The config is data: loaded and
// validated by src/config/pricing.ts, then passed into pure domain functions.

export type PlanId = string;

export interface PlanConfig {
  /** Display name on invoices. */
  name: string;
  /** Credits granted to the `plan` bucket every term; null for enterprise (per workspace). */
  monthlyCredits: number | null;
  /** Monthly base fee in cents; null for enterprise (per workspace). */
  monthlyPriceCents: number | null;
}

export type ActionMetering =
  | { kind: 'flat'; credits: number }
  | { kind: 'tokens'; tokensPerCredit: number; minCredits: number }
  | { kind: 'free' };

export interface TaxRate {
  country: string;
  /** Region code (US state, CA province); absent = whole country. */
  region?: string;
  /** Rate in basis points (1/100 of a percent): 725 = 7.25%. */
  rateBps: number;
  name: string;
}

export interface PricingConfig {
  currency: 'usd';
  plans: Record<PlanId, PlanConfig>;
  actions: Record<string, ActionMetering>;
  purchase: { minCredits: number; maxCredits: number; centsPerCredit: number };
  overage: { centsPerCredit: number };
  /** Default low-balance threshold as a percentage of the plan allocation. */
  lowBalancePercent: number;
  taxRates: TaxRate[];
}

/** Custom terms of an enterprise contract, set with the plan change. */
export interface EnterpriseTerms {
  monthlyCredits: number;
  monthlyPriceCents: number;
}

/** The credits and price a workspace on `plan` gets per term. */
export function planTerms(
  pricing: PricingConfig,
  plan: PlanId,
  enterprise?: EnterpriseTerms | null,
): EnterpriseTerms {
  const cfg = pricing.plans[plan];
  if (!cfg) throw new RangeError(`unknown plan '${plan}'`);
  if (cfg.monthlyCredits === null || cfg.monthlyPriceCents === null) {
    if (!enterprise) throw new RangeError(`plan '${plan}' needs custom enterprise terms`);
    return { monthlyCredits: enterprise.monthlyCredits, monthlyPriceCents: enterprise.monthlyPriceCents };
  }
  return { monthlyCredits: cfg.monthlyCredits, monthlyPriceCents: cfg.monthlyPriceCents };
}
