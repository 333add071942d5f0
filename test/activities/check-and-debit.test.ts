import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { getBalances, overageUsed } from '../../src/ledger/balances';
import { checkAndDebit, type UsageInput } from '../../src/ledger/check-and-debit';
import { openTerm } from '../../src/ledger/operations';
import { countRows, createTestWorkspace, expectLedgerConsistent, TERM_END, testPool } from '../helpers/ledger';

const pricing = loadPricing();
const pool = testPool(10);

let n = 0;
const request = (workspaceId: string, extra: Partial<UsageInput> = {}): UsageInput => ({
  workspaceId,
  idempotencyKey: `req-${++n}`,
  memberId: 'member-1',
  action: 'chat_question',
  feature: 'chat',
  ...extra,
});
const use = (workspaceId: string, extra: Partial<UsageInput> = {}) => checkAndDebit(pool, pricing, request(workspaceId, extra));

async function outboxOf(workspaceId: string) {
  const { rows } = await pool.query<{ type: string; dedupe_key: string; payload: Record<string, unknown> }>(
    `SELECT type, dedupe_key, payload FROM outbox_events WHERE workspace_id = $1 ORDER BY id`,
    [workspaceId],
  );
  return rows;
}

describe('check-and-debit: balance (rules 1, 3, 4)', () => {
  it('a 25-credit Free workspace takes exactly 25 one-credit queries; the 26th gets 402 naming the refresh date', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    for (let i = 1; i <= 25; i++) {
      // members share the pool
      const outcome = await use(ws, { memberId: `member-${i % 4}` });
      expect(outcome).toEqual({
        ok: true,
        replayed: false,
        charge: { creditsCharged: 1, buckets: { plan: 1, purchased: 0, overage: 0 }, balance: { plan: 25 - i, purchased: 0, total: 25 - i }, unbilledShortfall: 0 },
      });
    }
    const before = await countRows(pool, ws);
    const refused = await use(ws);
    const refreshesAt = new Date(TERM_END).toISOString();
    expect(refused).toMatchObject({ ok: false, code: 'credit_limit_reached', details: { refreshesAt } });
    expect(refused.ok === false && refused.message).toContain(refreshesAt);
    expect(await countRows(pool, ws)).toMatchObject({ ledger: before.ledger, usage: before.usage });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 0, total: 0 });
    await expectLedgerConsistent(pool, ws);
  });

  it.each([
    [0, 1],
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [250_000, 250],
  ])('ai_assist with %i tokens charges %i credits', async (tokens, credits) => {
    const ws = await createTestWorkspace(pool, { plan: 'growth', planCredits: 1000 });
    const outcome = await use(ws, { action: 'ai_assist', feature: 'assist', tokens });
    expect(outcome).toMatchObject({ ok: true, charge: { creditsCharged: credits, balance: { plan: 1000 - credits } } });
    const { rows } = await pool.query(`SELECT tokens, credits FROM usage_events WHERE workspace_id = $1`, [ws]);
    expect(rows).toEqual([{ tokens, credits }]);
  });

  it('uses plan credits before purchased ones, and both before overage', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 3, purchased: 4, onDemand: { enabled: true, monthlyLimit: 0 } });
    expect(await use(ws, { action: 'ai_assist', tokens: 2000 })).toMatchObject({ charge: { buckets: { plan: 2, purchased: 0, overage: 0 } } });
    expect(await use(ws, { action: 'ai_assist', tokens: 3000 })).toMatchObject({ charge: { buckets: { plan: 1, purchased: 2, overage: 0 } } });
    expect(await use(ws, { action: 'ai_assist', tokens: 5000 })).toMatchObject({
      charge: { creditsCharged: 5, buckets: { plan: 0, purchased: 2, overage: 3 }, balance: { plan: 0, purchased: 0, total: 0 } },
    });
    await expectLedgerConsistent(pool, ws);
  });

  it('refuses a cost it cannot cover in full, debiting nothing (no partial charge)', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 3 });
    expect(await use(ws, { action: 'ai_assist', tokens: 4000 })).toMatchObject({ ok: false, code: 'credit_limit_reached', details: { creditsRequired: 4 } });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 3, purchased: 0, total: 3 });
    expect(await use(ws, { action: 'ai_assist', tokens: 3000 })).toMatchObject({ ok: true, charge: { creditsCharged: 3 } });
  });

  it('an overage limit of 1,000 stops at exactly 1,000', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 0, onDemand: { enabled: true, monthlyLimit: 1000 } });
    expect(await use(ws, { action: 'ai_assist', tokens: 999_000 })).toMatchObject({ ok: true, charge: { buckets: { overage: 999 } } });
    expect(await use(ws, { action: 'ai_assist', tokens: 2000 })).toMatchObject({ ok: false, code: 'credit_limit_reached' });
    expect(await use(ws)).toMatchObject({ ok: true, charge: { buckets: { overage: 1 } } });
    expect(await use(ws)).toMatchObject({ ok: false, code: 'credit_limit_reached' });
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(1000);
    await expectLedgerConsistent(pool, ws);
  });

  it('an overage limit of 0 is unlimited; with on-demand off it is a hard stop', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 0, onDemand: { enabled: true, monthlyLimit: 0 } });
    for (let i = 0; i < 3; i++) {
      expect(await use(ws, { action: 'ai_assist', tokens: 5_000_000 })).toMatchObject({ ok: true, charge: { buckets: { overage: 5000 } } });
    }
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(15_000);
    await pool.query(`UPDATE workspaces SET on_demand_enabled = false WHERE id = $1`, [ws]);
    expect(await use(ws)).toMatchObject({ ok: false, code: 'credit_limit_reached' });
    await expectLedgerConsistent(pool, ws);
  });

  it('unlimited on-demand usage past 2^31 credits in one term keeps counting (no integer overflow, no 500)', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 0, onDemand: { enabled: true, monthlyLimit: 0 } });
    // 2,147 calls of a billion tokens would take a while: start the term near the int4 limit, ledger entry included.
    const near = 2_147_000_000;
    await pool.query(
      `INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
       VALUES ($1, 'usage:earlier', 'overage', 'overage', $2, 0, 'earlier usage this term')`,
      [ws, -near],
    );
    await pool.query(`UPDATE credit_balances SET overage_used = $2 WHERE workspace_id = $1`, [ws, near]);
    expect(await use(ws, { action: 'ai_assist', tokens: 1_000_000_000 })).toMatchObject({ ok: true, charge: { buckets: { overage: 1_000_000 } } });
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(near + 1_000_000);
    await expectLedgerConsistent(pool, ws);
  });
});

describe('check-and-debit: reported facts (alreadyPerformed)', () => {
  it('debits what is there, records the rest as unbilled shortfall, and the next check fails', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2, purchased: 1 });
    const fact = await use(ws, { action: 'ai_assist', tokens: 5500, alreadyPerformed: true });
    expect(fact).toEqual({
      ok: true,
      replayed: false,
      charge: { creditsCharged: 3, buckets: { plan: 2, purchased: 1, overage: 0 }, balance: { plan: 0, purchased: 0, total: 0 }, unbilledShortfall: 3 },
    });
    expect(await use(ws)).toMatchObject({ ok: false, code: 'credit_limit_reached' });
    const { rows } = await pool.query(`SELECT bucket, amount FROM credit_ledger WHERE workspace_id = $1 AND kind <> 'grant' AND kind <> 'purchase' ORDER BY bucket`, [ws]);
    expect(rows).toEqual([
      { bucket: 'plan', amount: -2 },
      { bucket: 'purchased', amount: -1 },
      { bucket: 'shortfall', amount: -3 },
    ]);
    await expectLedgerConsistent(pool, ws);
  });

  it('puts the rest into overage as far as on-demand allows', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1, onDemand: { enabled: true, monthlyLimit: 4 } });
    expect(await use(ws, { action: 'ai_assist', tokens: 7000, alreadyPerformed: true })).toMatchObject({
      charge: { creditsCharged: 5, buckets: { plan: 1, purchased: 0, overage: 4 }, unbilledShortfall: 2 },
    });
    expect(await overageUsed(pool, { workspaceId: ws, termIndex: 0 })).toBe(4);
    await expectLedgerConsistent(pool, ws);
  });
});

describe('check-and-debit: switches and status (rules 10, 12, 13)', () => {
  it.each([
    [{ disabledFeatures: ['chat'] }, 'feature_disabled'],
    [{ status: 'cancelled' as const }, 'subscription_cancelled'],
    [{ status: 'past_due' as const }, 'payment_required'],
    [{ status: 'deleted' as const }, 'workspace_deleted'],
  ])('%o -> %s, nothing debited, also for reported facts', async (opts, code) => {
    const ws = await createTestWorkspace(pool, { ...opts, planCredits: 25 });
    const before = await countRows(pool, ws);
    expect(await use(ws, { feature: 'chat' })).toMatchObject({ ok: false, code });
    expect(await use(ws, { feature: 'chat', action: 'ai_assist', tokens: 10, alreadyPerformed: true })).toMatchObject({ ok: false, code });
    expect(await countRows(pool, ws)).toEqual(before);
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 25, purchased: 0, total: 25 });
  });

  it('a disabled feature does not block other features', async () => {
    const ws = await createTestWorkspace(pool, { disabledFeatures: ['reports'] });
    expect(await use(ws, { feature: 'chat' })).toMatchObject({ ok: true });
    expect(await use(ws, { feature: 'reports' })).toMatchObject({ ok: false, code: 'feature_disabled' });
  });

  it('unknown workspace -> 404; workspace without an open term -> 409', async () => {
    expect(await use('no-such-workspace')).toMatchObject({ ok: false, code: 'not_found' });
    await pool.query(
      `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
       VALUES ('ws-not-ready', 'n', 'a@b.c', '{"country":"US"}', 'pro', to_timestamp(0), to_timestamp(0), to_timestamp(1))`,
    );
    expect(await use('ws-not-ready')).toMatchObject({ ok: false, code: 'workspace_not_ready' });
  });
});

describe('check-and-debit: action rules (section 2)', () => {
  it('unknown actions are a 422, never free usage; token actions need tokens', async () => {
    const ws = await createTestWorkspace(pool);
    expect(await use(ws, { action: 'teleport' })).toMatchObject({ ok: false, code: 'unknown_action' });
    expect(await use(ws, { action: 'ai_assist' })).toMatchObject({ ok: false, code: 'validation_failed' });
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ total: 25 });
  });

  it('non-billable actions cost 0, write nothing, and work when exhausted or cancelled', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1, purchased: 100 });
    await use(ws, { action: 'ai_assist', tokens: 101_000 });
    await pool.query(`UPDATE workspaces SET status = 'cancelled', disabled_features = '{liveboards}' WHERE id = $1`, [ws]);
    const before = await countRows(pool, ws);
    for (const action of ['view_liveboard', 'refresh_liveboard', 'browse_schema', 'edit_settings']) {
      expect(await use(ws, { action, feature: 'liveboards' })).toEqual({
        ok: true,
        replayed: false,
        charge: { creditsCharged: 0, buckets: { plan: 0, purchased: 0, overage: 0 }, balance: { plan: 0, purchased: 0, total: 0 }, unbilledShortfall: 0 },
      });
    }
    expect(await countRows(pool, ws)).toEqual(before);
    expect(await use('no-such-workspace', { action: 'view_liveboard' })).toMatchObject({ ok: false, code: 'not_found' });
    // Purged after its retention: refused as deleted, not answered with a balance.
    await pool.query(`UPDATE workspaces SET status = 'deleted' WHERE id = $1`, [ws]);
    expect(await use(ws, { action: 'browse_schema', feature: 'liveboards' })).toMatchObject({ ok: false, code: 'workspace_deleted' });
    expect(await countRows(pool, ws)).toEqual(before);
  });
});

describe('check-and-debit: idempotency keys (rule 4)', () => {
  it('same key + same body answers the first answer and debits nothing more', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const req = request(ws, { action: 'ai_assist', tokens: 1500 });
    const first = await checkAndDebit(pool, pricing, req);
    await use(ws); // the balance moves on
    const again = await checkAndDebit(pool, pricing, { ...req, alreadyPerformed: false }); // defaults are the same body
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(again).toEqual({ ...first, replayed: true });
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ plan: 22 });
    await expectLedgerConsistent(pool, ws);
  });

  it('same key + different body -> 409 idempotency_conflict, nothing written', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const req = request(ws);
    await checkAndDebit(pool, pricing, req);
    const before = await countRows(pool, ws);
    for (const changed of [{ memberId: 'other' }, { feature: 'other' }, { action: 'slack_query' }, { tokens: 5 }, { alreadyPerformed: true }]) {
      expect(await checkAndDebit(pool, pricing, { ...req, ...changed })).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    }
    expect(await countRows(pool, ws)).toEqual(before);
  });

  it('a key that succeeded answers the same even after credits ran out or the subscription ended', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1 });
    const req = request(ws);
    const first = await checkAndDebit(pool, pricing, req);
    expect(await checkAndDebit(pool, pricing, req)).toEqual({ ...first, replayed: true });
    await pool.query(`UPDATE workspaces SET status = 'cancelled' WHERE id = $1`, [ws]);
    expect(await checkAndDebit(pool, pricing, req)).toEqual({ ...first, replayed: true });
    expect(await checkAndDebit(pool, pricing, { ...req, memberId: 'x' })).toMatchObject({ ok: false, code: 'idempotency_conflict' });
  });

  it('a non-billable request under the key of a charged one -> 409 idempotency_conflict, not a 200 (found by the model checker)', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 25 });
    const req = request(ws);
    await checkAndDebit(pool, pricing, req);
    const before = await countRows(pool, ws);
    for (const action of ['browse_schema', 'view_liveboard']) {
      expect(await checkAndDebit(pool, pricing, { ...req, action })).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    }
    expect(await checkAndDebit(pool, pricing, { ...req, action: 'browse_schema', alreadyPerformed: true })).toMatchObject({ ok: false, code: 'idempotency_conflict' });
    // A fresh key still answers a non-billable request with the balance, and the charged one still replays.
    expect(await use(ws, { action: 'browse_schema' })).toMatchObject({ ok: true, charge: { creditsCharged: 0, balance: { plan: 24 } } });
    expect(await checkAndDebit(pool, pricing, req)).toMatchObject({ ok: true, replayed: true });
    expect(await countRows(pool, ws)).toEqual(before);
  });

  it('keys are per workspace', async () => {
    const a = await createTestWorkspace(pool);
    const b = await createTestWorkspace(pool);
    await use(a, { idempotencyKey: 'shared-key' });
    expect(await use(b, { idempotencyKey: 'shared-key' })).toMatchObject({ ok: true, replayed: false });
  });
});

describe('notifications (rule 11)', () => {
  it('credits.low once per term when plan + purchased falls below 10% of the allocation; again in the next term', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100 });
    await use(ws, { action: 'ai_assist', tokens: 90_000 }); // 10 left: not below 10
    expect(await outboxOf(ws)).toEqual([]);
    await use(ws); // 9 left
    await use(ws); // 8 left
    const events = await outboxOf(ws);
    expect(events).toEqual([
      {
        type: 'credits.low',
        dedupe_key: `credits.low:${ws}:0`,
        payload: expect.objectContaining({ workspaceId: ws, termIndex: 0, balance: { plan: 9, purchased: 0, total: 9 }, threshold: 10 }),
      },
    ]);
    await openTerm(pool, { workspaceId: ws, termIndex: 1, termStart: TERM_END, termEnd: TERM_END + 1e9, plan: 'pro', planCredits: 100, planPriceCents: 2900 });
    await use(ws, { action: 'ai_assist', tokens: 95_000 });
    expect((await outboxOf(ws)).map((e) => e.dedupe_key)).toEqual([`credits.low:${ws}:0`, `credits.low:${ws}:1`]);
  });

  it('honours a workspace threshold in credits', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 100, lowBalanceThreshold: 50 });
    await use(ws, { action: 'ai_assist', tokens: 50_000 });
    expect(await outboxOf(ws)).toEqual([]);
    await use(ws);
    expect(await outboxOf(ws)).toMatchObject([{ type: 'credits.low', payload: { threshold: 50 } }]);
  });

  it('credits.exhausted when usage is first refused (once per term), or a fact leaves a shortfall', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 1, lowBalanceThreshold: 0 });
    await use(ws);
    expect(await outboxOf(ws)).toEqual([]);
    await use(ws);
    await use(ws);
    const events = await outboxOf(ws);
    expect(events).toEqual([
      { type: 'credits.exhausted', dedupe_key: `credits.exhausted:${ws}:0`, payload: expect.objectContaining({ reason: 'refused', refreshesAt: new Date(TERM_END).toISOString() }) },
    ]);

    const other = await createTestWorkspace(pool, { planCredits: 1, lowBalanceThreshold: 0 });
    await use(other, { action: 'ai_assist', tokens: 3000, alreadyPerformed: true });
    expect(await outboxOf(other)).toMatchObject([{ type: 'credits.exhausted', payload: { reason: 'shortfall', balance: { total: 0 } } }]);
  });

  it('an event is written in the debit transaction: when the debit fails, neither survives', async () => {
    const ws = await createTestWorkspace(pool, { plan: 'pro', planCredits: 100 });
    const req = request(ws, { action: 'ai_assist', tokens: 95_000 }); // would cross the low threshold
    // Sabotage the ledger part of the write: an entry under this request's key already exists.
    await pool.query(
      `INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
       VALUES ($1, $2, 'consumption', 'plan', -1, 0, 'sabotage')`,
      [ws, `usage:${req.idempotencyKey}`],
    );
    await expect(checkAndDebit(pool, pricing, req)).rejects.toThrow(/credit_ledger_once/);
    expect(await outboxOf(ws)).toEqual([]);
    expect(await countRows(pool, ws)).toMatchObject({ usage: 0 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 100, purchased: 0, total: 100 });
  });
});
