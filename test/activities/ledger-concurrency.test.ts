import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { getBalances, overageUsed } from '../../src/ledger/balances';
import { checkAndDebit, type UsageOutcome } from '../../src/ledger/check-and-debit';
import { countRows, createTestWorkspace, expectLedgerConsistent, testPool } from '../helpers/ledger';

const pricing = loadPricing();
// enough connections that requests really contend for the row lock
const pool = testPool(24);

let n = 0;
const parallel = (workspaceId: string, count: number, tokensOf: (i: number) => number = () => 1000) =>
  Promise.all(
    Array.from({ length: count }, (_, i) =>
      checkAndDebit(pool, pricing, {
        workspaceId,
        idempotencyKey: `conc-${++n}`,
        memberId: `member-${i % 7}`,
        action: 'ai_assist',
        feature: 'assist',
        tokens: tokensOf(i),
      }),
    ),
  );

const succeeded = (outcomes: UsageOutcome[]) => outcomes.filter((o) => o.ok);
const sumBuckets = (outcomes: UsageOutcome[]) =>
  outcomes.reduce(
    (acc, o) => (o.ok ? { plan: acc.plan + o.charge.buckets.plan, purchased: acc.purchased + o.charge.buckets.purchased, overage: acc.overage + o.charge.buckets.overage } : acc),
    { plan: 0, purchased: 0, overage: 0 },
  );

describe('concurrent debits on one workspace never overdraw', () => {
  it('200 parallel 1-credit debits against 100 credits: exactly 100 succeed, balance 0', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100 });
    const outcomes = await parallel(ws, 200);
    expect(succeeded(outcomes)).toHaveLength(100);
    expect(outcomes.filter((o) => !o.ok && o.code === 'credit_limit_reached')).toHaveLength(100);
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 0, total: 0 });
    // every successful answer saw a distinct remaining balance: the last credit went to exactly one request
    const remaining = succeeded(outcomes).map((o) => (o.ok ? o.charge.balance.total : -1));
    expect(new Set(remaining).size).toBe(100);
    expect(Math.min(...remaining)).toBe(0);
    expect(await countRows(pool, ws)).toMatchObject({ usage: 100 });
    await expectLedgerConsistent(pool, ws);
  });

  it('mixed buckets and an overage cap: 40 plan + 30 purchased + 30 overage = exactly 100 of 200', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 40, purchased: 30, onDemand: { enabled: true, monthlyLimit: 30 } });
    const outcomes = await parallel(ws, 200);
    expect(succeeded(outcomes)).toHaveLength(100);
    expect(sumBuckets(outcomes)).toEqual({ plan: 40, purchased: 30, overage: 30 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 0, total: 0 });
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(30);
    await expectLedgerConsistent(pool, ws);
  });

  it('mixed costs (1-3 credits) never exceed the capacity, and what is left is less than any refused cost', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 50, purchased: 25, onDemand: { enabled: true, monthlyLimit: 25 } });
    const costOf = (i: number) => (i % 3) + 1;
    const outcomes = await parallel(ws, 150, (i) => costOf(i) * 1000);
    const charged = sumBuckets(outcomes);
    const total = charged.plan + charged.purchased + charged.overage;
    expect(total).toBeLessThanOrEqual(100);
    expect(charged.overage).toBeLessThanOrEqual(25);
    const refusedCosts = outcomes.flatMap((o, i) => (o.ok ? [] : [costOf(i)]));
    expect(refusedCosts.length).toBeGreaterThan(0);
    expect(100 - total).toBeLessThan(Math.min(...refusedCosts));
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 50 - charged.plan, purchased: 25 - charged.purchased, total: 75 - charged.plan - charged.purchased });
    await expectLedgerConsistent(pool, ws);
  });
});

describe('concurrent retries of one request', () => {
  it('50 concurrent retries with the same key debit once and all get the same answer', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100 });
    const req = { workspaceId: ws, idempotencyKey: 'retry-storm', memberId: 'm', action: 'ai_assist', feature: 'assist', tokens: 7000 };
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => checkAndDebit(pool, pricing, req)));
    expect(outcomes.filter((o) => o.ok && !o.replayed)).toHaveLength(1);
    const charges = outcomes.map((o) => (o.ok ? o.charge : o));
    for (const c of charges) expect(c).toEqual(charges[0]);
    expect(charges[0]).toMatchObject({ creditsCharged: 7, balance: { total: 93 } });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 93, purchased: 0, total: 93 });
    expect(await countRows(pool, ws)).toMatchObject({ usage: 1 });
    await expectLedgerConsistent(pool, ws);
  });
});
