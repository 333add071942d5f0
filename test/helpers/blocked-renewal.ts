// A renewal that fails part-way for good (bad data no retry fixes): the
// workflow's step() shows BLOCKED and pauses. `unblock()` is ops fixing the
// cause; `restore()` puts the real activities back.
import { ApplicationFailure } from '@temporalio/common';
import type { BillingTestEnv } from './billing-env';

export async function blockRenewal(t: BillingTestEnv, reason = 'simulated bad data', termIndex = 1) {
  const real = t.realActivities();
  let blocking = true;
  let refusals = 0;
  const refuse = (index: number) => {
    if (index !== termIndex || !blocking) return;
    refusals += 1;
    throw ApplicationFailure.nonRetryable(reason, 'term_mismatch');
  };
  await t.startWorker({
    ...real,
    // The renewal gets part-way (term index advanced, invoice not yet issued) and then fails for good:
    // at openTerm in the renewals of older histories, at the fused renewTerm since RENEWAL_LEDGER_IN_ONE_ACTIVITY.
    openTerm: async (input) => {
      refuse(input.termIndex);
      return real.openTerm(input);
    },
    renewTerm: async (input) => {
      refuse(input.term.termIndex);
      return real.renewTerm(input);
    },
  });
  return {
    refusals: () => refusals,
    unblock: () => {
      blocking = false;
    },
    restore: () => t.startWorker(real),
  };
}
