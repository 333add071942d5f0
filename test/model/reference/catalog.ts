// The catalog and metering of SPEC section 2 as the reference model knows
// them: the default pricing, written down again (a second opinion, not read
// from the service's config).
export type PlanId = 'free' | 'pro' | 'growth' | 'enterprise';
export interface PlanTerms {
  credits: number;
  priceCents: number;
}

export const PLANS: Record<Exclude<PlanId, 'enterprise'>, PlanTerms> = {
  free: { credits: 25, priceCents: 0 },
  pro: { credits: 100, priceCents: 2900 },
  growth: { credits: 1000, priceCents: 24900 },
};

export const FLAT_ACTIONS = ['chat_question', 'automation_query', 'api_analysis', 'slack_query'] as const;
export const TOKEN_ACTIONS = ['ai_assist'] as const;
export const FREE_ACTIONS = ['view_liveboard', 'refresh_liveboard', 'browse_schema', 'edit_settings'] as const;

export const PURCHASE = { min: 100, max: 100_000, centsPerCredit: 1 };
export const OVERAGE_CENTS_PER_CREDIT = 1;
/** The model's workspaces bill to California: 7.25 %. */
export const TAX_BPS = 725;
/** Stripe's minimum charge: smaller totals are carried forward. */
export const MIN_CHARGE_CENTS = 50;
export const RETENTION_DAYS = 30;
/** Dunning retries, in days after the first failure. */
export const RETRY_DAYS = [1, 3, 7];

/** Credits an action costs, 0 for a non-billable one, null for an unknown action or missing tokens. */
export function costOf(action: string, tokens: number | undefined): number | null {
  if ((FLAT_ACTIONS as readonly string[]).includes(action)) return 1;
  if ((FREE_ACTIONS as readonly string[]).includes(action)) return 0;
  if ((TOKEN_ACTIONS as readonly string[]).includes(action)) {
    if (tokens === undefined) return null;
    return Math.max(1, Math.ceil(tokens / 1000));
  }
  return null;
}
