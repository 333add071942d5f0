// The SQL function of the usage hot path (migration 0015) called as the API
// calls it, alone and in a batch (group commit), and the batcher around it.
import { describe, expect, it } from 'vitest';
import { getBalances } from '../../src/ledger/balances';
import { DebitBatcher, type DebitRequest } from '../../src/ledger/debit-batcher';
import { debitMany, type DebitRow } from '../../src/ledger/debit-sql';
import { countRows, createTestWorkspace, expectLedgerConsistent, testPool } from '../helpers/ledger';

const pool = testPool(6);

let n = 0;
const debit = (workspaceId: string, extra: Partial<DebitRequest> = {}): DebitRequest => ({
  workspaceId,
  idempotencyKey: `fn-${++n}`,
  requestHash: 'hash-a',
  memberId: 'member-1',
  action: 'ai_assist',
  feature: 'assist',
  tokens: 1000,
  cost: 1,
  alreadyPerformed: false,
  lowBalancePercent: 10,
  ...extra,
});

/** usage_debit_many with these debits, in this order, in one statement. */
async function many(requests: DebitRequest[]): Promise<DebitRow[]> {
  const fields = ['workspaceId', 'idempotencyKey', 'requestHash', 'memberId', 'action', 'feature', 'tokens', 'cost', 'alreadyPerformed', 'lowBalancePercent'] as const;
  const { rows } = await pool.query<DebitRow>(debitMany, fields.map((f) => requests.map((r) => r[f])));
  return rows;
}

describe('usage_debit_many: one statement, the rules of one debit each', () => {
  it('splits in consumption order across debits of one batch, each seeing the ones before it', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 3, purchased: 2, onDemand: { enabled: true, monthlyLimit: 2 } });
    const rows = await many([debit(ws, { cost: 2 }), debit(ws, { cost: 2 }), debit(ws, { cost: 2 }), debit(ws, { cost: 2 })]);
    expect(rows.map((r) => r.outcome)).toEqual(['debited', 'debited', 'debited', 'credit_limit_reached']);
    expect(rows.slice(0, 3).map((r) => r.response)).toEqual([
      { creditsCharged: 2, buckets: { plan: 2, purchased: 0, overage: 0 }, balance: { plan: 1, purchased: 2, total: 3 }, unbilledShortfall: 0 },
      { creditsCharged: 2, buckets: { plan: 1, purchased: 1, overage: 0 }, balance: { plan: 0, purchased: 1, total: 1 }, unbilledShortfall: 0 },
      { creditsCharged: 2, buckets: { plan: 0, purchased: 1, overage: 1 }, balance: { plan: 0, purchased: 0, total: 0 }, unbilledShortfall: 0 },
    ]);
    // 2 more do not fit in the one overage credit left: the refusal reports the row as the last debit left it
    expect(rows[3]).toMatchObject({ plan_balance: 0, purchased_balance: 0, overage_used: 1, on_demand_enabled: true, on_demand_monthly_limit: 2 });
    expect(await getBalances(pool, { workspaceId: ws })).toEqual({ plan: 0, purchased: 0, total: 0 });
    await expectLedgerConsistent(pool, ws);
  });

  it('the same key in one batch: same body replays the first answer, another body is a conflict, one debit written', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 10 });
    const first = debit(ws, { cost: 3 });
    const rows = await many([first, { ...first }, { ...first, requestHash: 'hash-b' }, debit(ws)]);
    expect(rows.map((r) => r.outcome)).toEqual(['debited', 'replayed', 'idempotency_conflict', 'debited']);
    expect(rows[1]!.response).toEqual(rows[0]!.response);
    expect(await countRows(pool, ws)).toMatchObject({ usage: 2 });
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ plan: 6 });
    // and later, after the balance moved, the key still answers as it did first
    expect((await many([first]))[0]).toMatchObject({ outcome: 'replayed', response: rows[0]!.response });
    await expectLedgerConsistent(pool, ws);
  });

  it('a reported fact takes what is there and records the rest as shortfall; gates refuse it and write nothing', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2 });
    const off = await createTestWorkspace(pool, { planCredits: 5, disabledFeatures: ['assist'] });
    const before = await countRows(pool, off);
    const rows = await many([debit(off, { alreadyPerformed: true }), debit(ws, { cost: 5, alreadyPerformed: true }), debit('no-such-workspace')]);
    expect(rows.map((r) => r.outcome)).toEqual(['feature_disabled', 'debited', 'not_found']);
    expect(rows[1]!.response).toMatchObject({ creditsCharged: 2, unbilledShortfall: 3 });
    expect(await countRows(pool, off)).toEqual(before);
    await expectLedgerConsistent(pool, ws);
  });
});

describe('DebitBatcher: group commit', () => {
  it('debits waiting while one is in flight go together; one failing debit fails alone', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 10 });
    const sabotaged = debit(ws);
    // Sabotage one debit's ledger write: an entry under its key already exists.
    await pool.query(
      `INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
       VALUES ($1, $2, 'consumption', 'plan', -1, 0, 'sabotage')`,
      [ws, `usage:${sabotaged.idempotencyKey}`],
    );
    const statements: string[] = [];
    const watched = new Proxy(pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (config: { name?: string }, values?: unknown) => {
          statements.push(config.name ?? '?');
          return target.query(config as never, values as never);
        };
      },
    });
    const watchedBatcher = new DebitBatcher(watched, { maxInFlight: 1, maxBatch: 64 });
    const outcomes = await Promise.allSettled([debit(ws), debit(ws), sabotaged, debit(ws)].map((r) => watchedBatcher.debit(r)));
    // the first went alone; the three that waited went in one statement, which failed, then each alone
    expect(statements).toEqual(['usage-debit', 'usage-debit-many', 'usage-debit', 'usage-debit', 'usage-debit']);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/credit_ledger_once/);
    expect(await countRows(pool, ws)).toMatchObject({ usage: 3 });
    expect(await getBalances(pool, { workspaceId: ws })).toMatchObject({ plan: 7 });
  });
});
