// Ledger operations as Temporal activities. Each is idempotent by its
// business key (see src/ledger/operations.ts), so Temporal may retry any of
// them after a crash at any point. Refusals no retry can fix (unknown
// workspace, wrong term, bad input) fail without retries, typed by code.
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../src/db/pool';
import type { PricingConfig } from '../src/domain/pricing';
import { balanceAfter, getBalances, overageUsed, unbilledShortfall, type BalanceAfter } from '../src/ledger/balances';
import { LedgerError } from '../src/ledger/errors';
import { expirePlanCredits, grantPurchasedCredits, openTerm, purgeUsageData, replacePlanBucket } from '../src/ledger/operations';

export interface LedgerActivityDeps {
  pool: Pool;
  /** Not needed by today's operations; kept in the contract for pricing-aware ones. */
  pricing: PricingConfig;
}

function activity<I, O>(pool: Pool, fn: (pool: Pool, input: I) => Promise<O>): (input: I) => Promise<O> {
  return async (input) => {
    try {
      return await fn(pool, input);
    } catch (err) {
      if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code);
      throw err;
    }
  };
}

/**
 * An operation that moves credits, answering also the balance right after it:
 * the workflow shows ops the account at a glance without reading it separately.
 */
function changing<I extends { workspaceId: string }, O>(
  fn: (pool: Pool, input: I) => Promise<O>,
): (pool: Pool, input: I) => Promise<O & { balanceAfter: BalanceAfter | null }> {
  return async (pool, input) => {
    const result = await fn(pool, input);
    return { ...result, balanceAfter: await balanceAfter(pool, input.workspaceId) };
  };
}

export function createLedgerActivities({ pool }: LedgerActivityDeps) {
  return {
    openTerm: activity(pool, changing(openTerm)),
    replacePlanBucket: activity(pool, changing(replacePlanBucket)),
    grantPurchasedCredits: activity(pool, changing(grantPurchasedCredits)),
    expirePlanCredits: activity(pool, changing(expirePlanCredits)),
    purgeUsageData: activity(pool, purgeUsageData),
    getBalances: activity(pool, getBalances),
    overageUsed: activity(pool, overageUsed),
    unbilledShortfall: activity(pool, unbilledShortfall),
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
