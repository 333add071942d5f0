import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createLedgerActivities } from '../../activities/ledger';
import { loadPricing } from '../../src/config/pricing';
import { createTestWorkspace, expectLedgerConsistent, TERM_END, testPool } from '../helpers/ledger';

const pool = testPool(4);
const acts = createLedgerActivities({ pool, pricing: loadPricing() });
// failures are expected here: keep the activity logger quiet
const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** The balance a credit-moving activity answers with (shown to ops in the workflow's details). */
const after = (termIndex: number, plan: number, purchased: number) => ({ termIndex, plan, purchased, overageUsed: 0 });

describe('ledger activities', () => {
  it('run in an activity context, are safe to retry, and answer the balance after a credit change', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const next = { workspaceId: ws, termIndex: 1, termStart: TERM_END, termEnd: TERM_END + 1e9, plan: 'pro', planCredits: 100, planPriceCents: 2900 };
    expect(await env.run(acts.openTerm, next)).toEqual({ expired: 25, granted: 100, alreadyApplied: false, balanceAfter: after(1, 100, 0) });
    expect(await env.run(acts.openTerm, next)).toEqual({ expired: 25, granted: 100, alreadyApplied: true, balanceAfter: after(1, 100, 0) });
    const purchase = { workspaceId: ws, credits: 500, key: `purchase:${ws}:1` };
    expect(await env.run(acts.grantPurchasedCredits, purchase)).toEqual({ granted: 500, alreadyApplied: false, balanceAfter: after(1, 100, 500) });
    expect(await env.run(acts.grantPurchasedCredits, purchase)).toEqual({ granted: 500, alreadyApplied: true, balanceAfter: after(1, 100, 500) });
    const upgrade = { workspaceId: ws, termIndex: 1, plan: 'growth', planCredits: 1000, planPriceCents: 24900, key: `upgrade:${ws}:1` };
    expect(await env.run(acts.replacePlanBucket, upgrade)).toEqual({ expired: 100, granted: 1000, alreadyApplied: false, balanceAfter: after(1, 1000, 500) });
    expect(await env.run(acts.getBalances, { workspaceId: ws })).toEqual({ plan: 1000, purchased: 500, total: 1500 });
    expect(await env.run(acts.expirePlanCredits, { workspaceId: ws, termIndex: 1, key: `end:${ws}:1` })).toEqual({ expired: 1000, alreadyApplied: false, balanceAfter: after(1, 0, 500) });
    expect(await env.run(acts.overageUsed, { workspaceId: ws, termIndex: 1 })).toBe(0);
    expect(await env.run(acts.unbilledShortfall, { workspaceId: ws, termIndex: 1 })).toBe(0);
    await expectLedgerConsistent(pool, ws);
  });

  it('turn refusals no retry can fix into non-retryable failures typed by code', async () => {
    const ws = await createTestWorkspace(pool);
    const failure = async (p: Promise<unknown>) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      return { type: (err as ApplicationFailure).type, nonRetryable: (err as ApplicationFailure).nonRetryable };
    };
    expect(await failure(env.run(acts.getBalances, { workspaceId: 'nobody-here' }))).toEqual({ type: 'workspace_not_found', nonRetryable: true });
    expect(await failure(env.run(acts.expirePlanCredits, { workspaceId: ws, termIndex: 7, key: 'k' }))).toEqual({ type: 'term_mismatch', nonRetryable: true });
    expect(await failure(env.run(acts.grantPurchasedCredits, { workspaceId: ws, credits: -5, key: 'k2' }))).toEqual({ type: 'invalid_input', nonRetryable: true });
  });
});
