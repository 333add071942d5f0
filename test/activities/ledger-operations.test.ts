import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { getBalances, overageUsed, unbilledShortfall } from '../../src/ledger/balances';
import { checkAndDebit } from '../../src/ledger/check-and-debit';
import { LedgerError } from '../../src/ledger/errors';
import { expirePlanCredits, grantPurchasedCredits, openTerm, purgeUsageData, replacePlanBucket } from '../../src/ledger/operations';
import { countRows, createTestWorkspace, expectLedgerConsistent, TERM_END, testPool, uniqueId } from '../helpers/ledger';

const pricing = loadPricing();
const pool = testPool(10);

const DAY = 86_400_000;
const term1 = { termIndex: 1, termStart: TERM_END, termEnd: TERM_END + 31 * DAY };
let n = 0;
const debit = (workspaceId: string, action = 'chat_question', extra: { tokens?: number; alreadyPerformed?: boolean } = {}) =>
  checkAndDebit(pool, pricing, { workspaceId, idempotencyKey: `k-${++n}`, memberId: 'm1', action, feature: 'chat', ...extra });

async function ledgerOf(workspaceId: string) {
  const { rows } = await pool.query<{ kind: string; bucket: string; amount: number; term_index: number }>(
    `SELECT kind, bucket, amount, term_index FROM credit_ledger WHERE workspace_id = $1 ORDER BY id`,
    [workspaceId],
  );
  return rows;
}

const rejection = (code: string) => expect.objectContaining({ name: 'LedgerError', code });

describe('openTerm', () => {
  it('term 0 grants the allocation and writes the read model', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100, planPriceCents: 2900 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 100, purchased: 0, total: 100 });
    expect(await ledgerOf(ws)).toEqual([{ kind: 'grant', bucket: 'plan', amount: 100, term_index: 0 }]);
    const { rows } = await pool.query(`SELECT plan, plan_credits, plan_price_cents, term_index, term_end FROM workspaces WHERE id = $1`, [ws]);
    expect(rows[0]).toEqual({ plan: 'pro', plan_credits: 100, plan_price_cents: 2900, term_index: 0, term_end: new Date(TERM_END) });
    await expectLedgerConsistent(pool, ws);
  });

  it('renewal expires unused plan credits, grants the full allocation, keeps purchased, resets overage and flags', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 10, purchased: 100, onDemand: { enabled: true, monthlyLimit: 0 } });
    // 3 from plan; then 7 + 100 exhaust plan and purchased, 5 go to overage
    await debit(ws, 'ai_assist', { tokens: 3000 });
    expect(await debit(ws, 'ai_assist', { tokens: 112_000 })).toMatchObject({ ok: true, charge: { buckets: { plan: 7, purchased: 100, overage: 5 } } });
    await pool.query(`UPDATE credit_balances SET low_notified = true, exhausted_notified = true WHERE workspace_id = $1`, [ws]);

    const result = await openTerm(pool, { workspaceId: ws, ...term1, plan: 'growth', planCredits: 1000, planPriceCents: 24900 });
    expect(result).toEqual({ expired: 0, granted: 1000, alreadyApplied: false });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 1000, purchased: 0, total: 1000 });
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(5);
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 1 })).toBe(0);
    const { rows } = await pool.query(`SELECT * FROM credit_balances WHERE workspace_id = $1`, [ws]);
    expect(rows[0]).toMatchObject({ term_index: 1, overage_used: 0, unbilled_shortfall: 0, low_notified: false, exhausted_notified: false });
    const w = await pool.query(`SELECT plan, plan_credits, term_index, term_start, term_end FROM workspaces WHERE id = $1`, [ws]);
    expect(w.rows[0]).toEqual({ plan: 'growth', plan_credits: 1000, term_index: 1, term_start: new Date(term1.termStart), term_end: new Date(term1.termEnd) });
    await expectLedgerConsistent(pool, ws);
  });

  it('expires what is left of the plan bucket in the old term and grants in the new one; purchased survives', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25, purchased: 200 });
    for (let i = 0; i < 5; i++) await debit(ws);
    await openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 25, planPriceCents: 0 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 25, purchased: 200, total: 225 });
    const entries = await ledgerOf(ws);
    expect(entries.slice(-2)).toEqual([
      { kind: 'expiry', bucket: 'plan', amount: -20, term_index: 0 },
      { kind: 'grant', bucket: 'plan', amount: 25, term_index: 1 },
    ]);
    await expectLedgerConsistent(pool, ws);
  });

  it('is a no-op the second time for the same term, answering what the first run did', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    await debit(ws);
    const first = await openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 25, planPriceCents: 0 });
    await debit(ws);
    const before = await countRows(pool, ws);
    const again = await openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 25, planPriceCents: 0 });
    expect(first).toEqual({ expired: 24, granted: 25, alreadyApplied: false });
    expect(again).toEqual({ expired: 24, granted: 25, alreadyApplied: true });
    expect(await countRows(pool, ws)).toEqual(before);
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 24, purchased: 0, total: 24 });
    // the initial grant is idempotent too
    expect(await openTerm(pool, { workspaceId: ws, termIndex: 0, termStart: 0, termEnd: 1, plan: 'free', planCredits: 25, planPriceCents: 0 }))
      .toEqual({ expired: 0, granted: 25, alreadyApplied: true });
  });

  it('concurrent opens of the same term apply once', async () => {
    const ws = uniqueId();
    await pool.query(
      `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
       VALUES ($1, 'n', 'a@b.c', '{"country":"US"}', 'pro', to_timestamp(0), to_timestamp(0), to_timestamp(1))`,
      [ws],
    );
    const open = () => openTerm(pool, { workspaceId: ws, termIndex: 0, termStart: 0, termEnd: TERM_END, plan: 'pro', planCredits: 100, planPriceCents: 2900 });
    const results = await Promise.all(Array.from({ length: 8 }, open));
    expect(results.filter((r) => !r.alreadyApplied)).toHaveLength(1);
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 100, purchased: 0, total: 100 });
    await expectLedgerConsistent(pool, ws);
  });

  it('debits racing a renewal land wholly in the old term or wholly in the new one', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1000 });
    const debits = Array.from({ length: 40 }, () => debit(ws));
    const renewal = openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 1000, planPriceCents: 0 });
    const [outcomes, opened] = await Promise.all([Promise.all(debits), renewal]);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const { rows } = await pool.query<{ term_index: number; n: number }>(
      `SELECT e.term_index, count(*)::int8 AS n FROM usage_events e WHERE workspace_id = $1 GROUP BY 1`,
      [ws],
    );
    const before = rows.find((r) => r.term_index === 0)?.n ?? 0;
    const after = rows.find((r) => r.term_index === 1)?.n ?? 0;
    expect(before + after).toBe(40);
    expect(opened.expired).toBe(1000 - before); // the renewal saw exactly the debits committed before it
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ plan: 1000 - after });
    await expectLedgerConsistent(pool, ws);
  });

  it('refuses to reopen an older term, and unknown workspaces', async () => {
    const ws = await createTestWorkspace(pool);
    await openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 25, planPriceCents: 0 });
    const stale = openTerm(pool, { workspaceId: ws, ...term1, termIndex: 0, plan: 'free', planCredits: 25, planPriceCents: 0, });
    // term 0's key was applied already, so this is a no-op, not an error
    await expect(stale).resolves.toMatchObject({ alreadyApplied: true });
    await pool.query(`DELETE FROM ledger_operations WHERE workspace_id = $1 AND key = $2`, [ws, `term-open:${ws}:0`]);
    await expect(openTerm(pool, { workspaceId: ws, ...term1, termIndex: 0, plan: 'free', planCredits: 25, planPriceCents: 0 }))
      .rejects.toEqual(rejection('term_mismatch'));
    await expect(openTerm(pool, { workspaceId: 'nope-nope', ...term1, plan: 'free', planCredits: 25, planPriceCents: 0 }))
      .rejects.toEqual(rejection('workspace_not_found'));
    await expect(openTerm(pool, { workspaceId: ws, termIndex: 2, termStart: 5, termEnd: 5, plan: 'free', planCredits: 25, planPriceCents: 0 }))
      .rejects.toEqual(rejection('invalid_input'));
    await expect(openTerm(pool, { workspaceId: ws, ...term1, termIndex: 2, plan: 'free', planCredits: -1, planPriceCents: 0 }))
      .rejects.toBeInstanceOf(LedgerError);
  });
});

describe('replacePlanBucket (upgrade)', () => {
  it('Free with 5 left -> Pro gives exactly 100; purchased credits untouched; once per key', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25, purchased: 300 });
    for (let i = 0; i < 20; i++) await debit(ws);
    const upgrade = { workspaceId: ws, termIndex: 0, plan: 'pro', planCredits: 100, planPriceCents: 2900, key: `upgrade:${ws}:0:pro` };
    expect(await replacePlanBucket(pool, upgrade)).toEqual({ expired: 5, granted: 100, alreadyApplied: false });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 100, purchased: 300, total: 400 });
    expect(await replacePlanBucket(pool, upgrade)).toEqual({ expired: 5, granted: 100, alreadyApplied: true });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 100, purchased: 300, total: 400 });
    const { rows } = await pool.query(`SELECT plan, plan_credits, plan_price_cents FROM workspaces WHERE id = $1`, [ws]);
    expect(rows[0]).toEqual({ plan: 'pro', plan_credits: 100, plan_price_cents: 2900 });
    await expectLedgerConsistent(pool, ws);
  });

  it('refuses a plan change meant for another term, and a workspace without an open term', async () => {
    const ws = await createTestWorkspace(pool);
    await expect(replacePlanBucket(pool, { workspaceId: ws, termIndex: 3, plan: 'pro', planCredits: 100, planPriceCents: 2900, key: 'x' }))
      .rejects.toEqual(rejection('term_mismatch'));
    const bare = uniqueId();
    await pool.query(
      `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
       VALUES ($1, 'n', 'a@b.c', '{"country":"US"}', 'pro', to_timestamp(0), to_timestamp(0), to_timestamp(1))`,
      [bare],
    );
    await expect(grantPurchasedCredits(pool, { workspaceId: bare, credits: 100, key: 'p' })).rejects.toEqual(rejection('no_open_term'));
  });
});

describe('grantPurchasedCredits and expirePlanCredits', () => {
  it('grants purchased credits once per key', async () => {
    const ws = await createTestWorkspace(pool);
    expect(await grantPurchasedCredits(pool, { workspaceId: ws, credits: 1000, key: `purchase:${ws}:a` })).toEqual({ granted: 1000, alreadyApplied: false });
    expect(await grantPurchasedCredits(pool, { workspaceId: ws, credits: 1000, key: `purchase:${ws}:a` })).toEqual({ granted: 1000, alreadyApplied: true });
    expect(await grantPurchasedCredits(pool, { workspaceId: ws, credits: 100, key: `purchase:${ws}:b` })).toEqual({ granted: 100, alreadyApplied: false });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 25, purchased: 1100, total: 1125 });
    await expect(grantPurchasedCredits(pool, { workspaceId: ws, credits: 0, key: 'zero' })).rejects.toEqual(rejection('invalid_input'));
    await expect(grantPurchasedCredits(pool, { workspaceId: ws, credits: 1.5, key: 'frac' })).rejects.toEqual(rejection('invalid_input'));
    // a key is bound to one kind of operation
    await expect(expirePlanCredits(pool, { workspaceId: ws, termIndex: 0, key: `purchase:${ws}:a` })).rejects.toEqual(rejection('key_conflict'));
    await expectLedgerConsistent(pool, ws);
  });

  it('expires the plan bucket at cancellation, once', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25, purchased: 100 });
    await debit(ws);
    const key = `cancel-expiry:${ws}:0`;
    expect(await expirePlanCredits(pool, { workspaceId: ws, termIndex: 0, key })).toEqual({ expired: 24, alreadyApplied: false });
    expect(await expirePlanCredits(pool, { workspaceId: ws, termIndex: 0, key })).toEqual({ expired: 24, alreadyApplied: true });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 100, total: 100 });
    await expect(expirePlanCredits(pool, { workspaceId: ws, termIndex: 1, key: 'other' })).rejects.toEqual(rejection('term_mismatch'));
    await expectLedgerConsistent(pool, ws);
  });
});

describe('term usage reads', () => {
  it('overageUsed counts billable overage per term; shortfall is tracked apart', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2, onDemand: { enabled: true, monthlyLimit: 10 } });
    await debit(ws, 'ai_assist', { tokens: 8000 }); // 2 plan + 6 overage
    await debit(ws, 'ai_assist', { tokens: 9000, alreadyPerformed: true }); // 4 overage + 5 shortfall
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(10);
    expect(await unbilledShortfall(pool, { workspaceId: ws, termIndex: 0 })).toBe(5);
    await openTerm(pool, { workspaceId: ws, ...term1, plan: 'free', planCredits: 2, planPriceCents: 0 });
    await debit(ws, 'ai_assist', { tokens: 3000 }); // 2 plan + 1 overage in term 1
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(10);
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 1 })).toBe(1);
    await expect(getBalances(pool, { workspaceId: 'missing-ws' })).rejects.toEqual(rejection('workspace_not_found'));
    await expectLedgerConsistent(pool, ws);
  });
});

describe('ledger integrity', () => {
  it('refuses to change or delete ledger entries outside the retention purge', async () => {
    const ws = await createTestWorkspace(pool);
    await expect(pool.query(`UPDATE credit_ledger SET amount = 1000 WHERE workspace_id = $1`, [ws])).rejects.toThrow(/append-only/);
    await expect(pool.query(`DELETE FROM credit_ledger WHERE workspace_id = $1`, [ws])).rejects.toThrow(/append-only/);
  });

  it('the purge removes usage and ledger detail, zeroes the cache and marks the workspace deleted', async () => {
    const ws = await createTestWorkspace(pool, { purchased: 100 });
    await debit(ws);
    await debit(ws);
    const purged = await purgeUsageData(pool, { workspaceId: ws, key: `purge:${ws}` });
    expect(purged).toEqual({ usageEvents: 2, ledgerEntries: 4, alreadyApplied: false });
    expect(await purgeUsageData(pool, { workspaceId: ws, key: `purge:${ws}` })).toMatchObject({ alreadyApplied: true });
    expect(await countRows(pool, ws)).toMatchObject({ ledger: 0, usage: 0 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 0, total: 0 });
    const { rows } = await pool.query(`SELECT status FROM workspaces WHERE id = $1`, [ws]);
    expect(rows[0].status).toBe('deleted');
    expect(await debit(ws)).toMatchObject({ ok: false, code: 'workspace_deleted' });
    await expectLedgerConsistent(pool, ws);
  });
});
