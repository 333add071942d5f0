// How a cost is drawn from a workspace's buckets (SPEC rules 3, 4, 9, 11).
// Pure arithmetic shared by the debit transaction and the tests.

export interface BucketBalances {
  plan: number;
  purchased: number;
}

export interface OnDemandSettings {
  enabled: boolean;
  /** Overage credits allowed per term; 0 = unlimited. */
  monthlyLimit: number;
}

export interface SplitInput {
  cost: number;
  balance: BucketBalances;
  onDemand: OnDemandSettings;
  /** Billable overage already consumed this term. */
  overageUsed: number;
}

export interface Split {
  plan: number;
  purchased: number;
  /** Billable on-demand credits (billed on the next invoice). */
  overage: number;
  /** What neither the buckets nor on-demand could cover. */
  shortfall: number;
}

/** Overage credits still allowed this term (Infinity when unlimited, 0 when off). */
export function overageRoom(onDemand: OnDemandSettings, overageUsed: number): number {
  if (!onDemand.enabled) return 0;
  if (onDemand.monthlyLimit === 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, onDemand.monthlyLimit - overageUsed);
}

/** Consumption order: plan, then purchased, then overage up to the on-demand room; the rest is shortfall. */
export function splitCost({ cost, balance, onDemand, overageUsed }: SplitInput): Split {
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`cost must be an integer >= 0, got ${cost}`);
  const plan = Math.min(cost, Math.max(0, balance.plan));
  const purchased = Math.min(cost - plan, Math.max(0, balance.purchased));
  const rest = cost - plan - purchased;
  const overage = Math.min(rest, overageRoom(onDemand, overageUsed));
  return { plan, purchased, overage, shortfall: rest - overage };
}

export interface LowBalanceInput {
  /** plan + purchased after the debit. */
  totalAfter: number;
  planCredits: number;
  /** Workspace threshold in credits; null = `defaultPercent` of the plan allocation. */
  threshold: number | null;
  defaultPercent: number;
}

/** True when the remaining balance is below the low-balance threshold (exact, no rounding). */
export function isBelowLowThreshold({ totalAfter, planCredits, threshold, defaultPercent }: LowBalanceInput): boolean {
  if (threshold !== null) return totalAfter < threshold;
  return totalAfter * 100 < planCredits * defaultPercent;
}
