// Defect 5 of issue 11: a usage request that read the term open must not
// commit after the term was closed and its final overage read. The race is
// made deterministic: the pool hands the request's debit statement (checked
// and written in one, under the balance row's lock: migration 0015) to a hook
// first, which closes the term through the real activities, then lets it run.
// (Before that statement existed, the request read the row first and wrote it
// in a second statement; the hook ran between the two.)
import { describe, expect, it } from 'vitest';
import { createLedgerActivities } from '../../activities/ledger';
import { createWorkspaceActivities } from '../../activities/workspace';
import { loadPricing } from '../../src/config/pricing';
import type { Pool } from '../../src/db/pool';
import { checkAndDebit, type UsageInput } from '../../src/ledger/check-and-debit';
import { runActivity } from '../helpers/activities';
import { createTestWorkspace, expectLedgerConsistent, TERM_END, testPool, workspaceSnapshot } from '../helpers/ledger';

const pricing = loadPricing();
const pool = testPool(6);
const ledger = createLedgerActivities({ pool, pricing });
const workspaceActivities = createWorkspaceActivities({ pool, pricing: () => pricing });

let n = 0;
const request = (workspaceId: string): UsageInput => ({
  workspaceId,
  idempotencyKey: `race-${++n}`,
  memberId: 'member-1',
  action: 'chat_question',
  feature: 'chat',
});

/**
 * The pool, except that the usage request's debit (the statement named
 * `usage-debit`) first waits for `beforeWrite`: everything it does happens
 * after the request was priced and before it is decided.
 */
function poolInterleaving(beforeWrite: () => Promise<void>): Pool {
  let pending: (() => Promise<void>) | null = beforeWrite;
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
      return async (config: unknown, values?: unknown) => {
        const hook = pending;
        if (hook && typeof config === 'object' && config !== null && (config as { name?: string }).name === 'usage-debit') {
          pending = null;
          await hook();
        }
        return target.query(config as never, values as never);
      };
    },
  });
}

const overageOf = (workspaceId: string, termIndex: number) => runActivity(ledger.overageUsed, { workspaceId, termIndex });

/** The read model as the workflow syncs it at the end of a cancelled term. */
const cancelledSnapshot = (id: string) =>
  workspaceSnapshot(id, { status: 'cancelled', cancelAt: TERM_END, retentionUntil: TERM_END + 30 * 86_400_000 });

/** Renewal of the test term into term 1 (the ledger half of it). */
const openNextTerm = (workspaceId: string) =>
  runActivity(ledger.openTerm, {
    workspaceId,
    termIndex: 1,
    termStart: TERM_END,
    termEnd: TERM_END + 31 * 86_400_000,
    plan: 'free',
    planCredits: 2,
    planPriceCents: 0,
  });

/** What endSubscription does, in its order: close (expire), sync the read model, read the final overage. */
async function endSubscription(workspaceId: string, opts: { sync: boolean }): Promise<number> {
  await runActivity(ledger.expirePlanCredits, { workspaceId, termIndex: 0, key: `cancel-expire:${workspaceId}:0` });
  if (opts.sync) await runActivity(workspaceActivities.syncWorkspace, cancelledSnapshot(workspaceId));
  return overageOf(workspaceId, 0);
}

describe('usage racing the end of a term (issue 11, defect 5)', () => {
  it('a request that read the term open before cancellation does not commit after the final overage read', async () => {
    // Plan credits used up, on-demand on: the request would be overage, billable only on the final invoice.
    const ws = await createTestWorkspace(pool, { planCredits: 2, onDemand: { enabled: true, monthlyLimit: 0 } });
    for (let i = 0; i < 3; i++) expect(await checkAndDebit(pool, pricing, request(ws))).toMatchObject({ ok: true });
    let billed = -1;
    const racing = poolInterleaving(async () => {
      billed = await endSubscription(ws, { sync: true });
    });

    const outcome = await checkAndDebit(racing, pricing, request(ws));

    expect(billed).toBe(1);
    expect(outcome).toMatchObject({ ok: false, code: 'subscription_cancelled' });
    expect(await overageOf(ws, 0)).toBe(billed); // nothing used that the final invoice does not bill
    await expectLedgerConsistent(pool, ws);
  });

  it('a request that lost its race to the close is refused under the lock, before the read model says cancelled', async () => {
    // Plan credits left: the close (expiry) moves the balance, and the debit decides on the closed row.
    const ws = await createTestWorkspace(pool, { planCredits: 5, onDemand: { enabled: true, monthlyLimit: 0 } });
    let billed = -1;
    const racing = poolInterleaving(async () => {
      billed = await endSubscription(ws, { sync: false });
    });

    const outcome = await checkAndDebit(racing, pricing, request(ws));

    expect(billed).toBe(0);
    expect(outcome).toMatchObject({ ok: false, code: 'subscription_cancelled' });
    expect(await overageOf(ws, 0)).toBe(0);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM usage_events WHERE workspace_id = $1`, [ws]);
    expect(rows[0]).toEqual({ n: 0 });
    await expectLedgerConsistent(pool, ws);
  });

  it('a request that read term n before the renewal lands in term n+1, after the overage of n was read', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2, onDemand: { enabled: true, monthlyLimit: 0 } });
    for (let i = 0; i < 3; i++) expect(await checkAndDebit(pool, pricing, request(ws))).toMatchObject({ ok: true });
    let billed = -1;
    const racing = poolInterleaving(async () => {
      await openNextTerm(ws);
      billed = await overageOf(ws, 0);
    });

    const outcome = await checkAndDebit(racing, pricing, request(ws));

    expect(outcome).toMatchObject({ ok: true, charge: { buckets: { plan: 1, overage: 0 } } });
    expect(await overageOf(ws, 0)).toBe(billed);
    expect(billed).toBe(1);
    await expectLedgerConsistent(pool, ws);
  });

  it('a term opened after the cancellation (re-subscribing) takes usage again', async () => {
    const ws = await createTestWorkspace(pool, { planCredits: 2 });
    await endSubscription(ws, { sync: false });
    expect(await checkAndDebit(pool, pricing, request(ws))).toMatchObject({ ok: false, code: 'subscription_cancelled' });
    await openNextTerm(ws);
    expect(await checkAndDebit(pool, pricing, request(ws))).toMatchObject({ ok: true, charge: { buckets: { plan: 1 } } });
  });
});
