// The billing stack of the workflow tests (test/helpers/billing-harness.ts) on
// this test run's database and workflow bundle, provided by the global setups.
import { inject } from 'vitest';
import { BillingHarness, type BillingHarnessOptions } from './billing-harness';

export { DAY, pricing } from './billing-harness';

export type BillingTestEnv = BillingHarness;
export const BillingTestEnv = {
  create: (opts: Omit<BillingHarnessOptions, 'databaseUrl'> = {}): Promise<BillingTestEnv> =>
    BillingHarness.create({ ...opts, databaseUrl: inject('databaseUrl'), workflowBundle: { codePath: inject('workflowBundlePath') } }),
};
