// The seed documents' examples, run through the real workflow on the
// time-skipping server with real Postgres and the Stripe-compatible sandbox.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsClamped, termContaining } from '../../src/domain/terms';
import { CodedError } from '../../src/domain/failure-codes';
import { BillingTestEnv, DAY } from '../helpers/billing-env';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
// Each test's workspaces end with it: later time skips run only the next test's renewals.
afterEach(async () => {
  await t.endWorkspaces();
});
afterAll(async () => {
  await t?.teardown();
});

const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => {
      if (!(err instanceof CodedError)) throw err;
      return err;
    },
  );

describe('seed examples', () => {
  it('Free with 5 credits left upgrades to Pro mid-term: balance is exactly 100 at once, after the prorated payment', async () => {
    await t.create({ id: 'seed-upgrade', plan: 'free', paymentMethod: 'pm_card_visa' });
    expect(await t.useCredits('seed-upgrade', 20)).toBe(20);
    expect(await t.balances('seed-upgrade')).toMatchObject({ plan_balance: 5 });
    const chargesBefore = t.sandbox.stats().charges;

    await t.env.sleep(10 * DAY);
    const r = await t.workflows.changePlan('seed-upgrade', { plan: 'pro' });

    expect(r).toMatchObject({ effective: 'immediately', plan: 'pro', balance: { plan: 100, purchased: 0, total: 100 } });
    expect(await t.balances('seed-upgrade')).toMatchObject({ plan_balance: 100 });
    expect(t.sandbox.stats().charges).toBe(chargesBefore + 1);
    const [upgrade] = await t.invoices('seed-upgrade');
    expect(upgrade).toMatchObject({ kind: 'upgrade', status: 'paid' });
    // 2,900 cents for the rest of a 30-day term after 10 days, plus 7.25% CA tax
    expect(upgrade!.subtotal_cents).toBeGreaterThan(0);
    expect(upgrade!.subtotal_cents).toBeLessThan(2900);
    const s = await t.state('seed-upgrade');
    expect(s.workspace).toMatchObject({ plan: 'pro', planCredits: 100, planPriceCents: 2900 });
  });

  it('an upgrade whose payment fails changes nothing and says why', async () => {
    await t.create({ id: 'seed-declined', plan: 'free', paymentMethod: 'pm_card_chargeCustomerFail' });
    await t.useCredits('seed-declined', 3);
    const before = await t.balances('seed-declined');

    const err = await refusal(t.workflows.changePlan('seed-declined', { plan: 'growth' }));

    expect(err.code).toBe('payment_failed');
    expect(err.message).toMatch(/declined/i);
    expect(await t.balances('seed-declined')).toEqual(before);
    expect((await t.state('seed-declined')).workspace).toMatchObject({ plan: 'free', planCredits: 25 });
    const [inv] = await t.invoices('seed-declined');
    expect(inv).toMatchObject({ kind: 'upgrade', status: 'void' });
  });

  it('a downgrade is scheduled and takes effect exactly at renewal', async () => {
    await t.create({ id: 'seed-downgrade', plan: 'growth', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state('seed-downgrade');
    await t.useCredits('seed-downgrade', 10);

    const r = await t.workflows.changePlan('seed-downgrade', { plan: 'pro' });
    expect(r).toMatchObject({ effective: 'at_renewal', plan: 'pro', currentPlan: 'growth', effectiveAt: workspace.termEnd });

    await t.sleepUntil(workspace.termEnd - 60_000);
    let s = await t.state('seed-downgrade');
    expect(s.workspace).toMatchObject({ plan: 'growth', termIndex: 0, scheduledPlan: 'pro' });
    expect(await t.balances('seed-downgrade')).toMatchObject({ plan_balance: 990 });

    await t.sleepUntil(workspace.termEnd + 60_000);
    s = await t.waitFor('seed-downgrade', (x) => x.workspace.termIndex === 1, 'renewal');
    expect(s.workspace).toMatchObject({ plan: 'pro', planCredits: 100, scheduledPlan: null, termStart: workspace.termEnd });
    expect(await t.balances('seed-downgrade')).toMatchObject({ plan_balance: 100, term_index: 1 });
    const renewal = (await t.invoices('seed-downgrade')).find((i) => i.kind === 'renewal' && i.business_key.endsWith(':1'));
    expect(renewal).toMatchObject({ status: 'paid', subtotal_cents: 2900 });
  });

  it('cancel: access until term end, then 30 days of readable data, then a purge that keeps invoices', async () => {
    await t.create({ id: 'seed-cancel', plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state('seed-cancel');
    await t.useCredits('seed-cancel', 5);

    const c = await t.workflows.cancel('seed-cancel');
    expect(c).toEqual({ status: 'active', cancelAt: workspace.termEnd, retentionUntil: null });
    await t.sleepUntil(workspace.termEnd - DAY);
    expect((await t.use('seed-cancel')).ok).toBe(true); // still usable before the end

    await t.sleepUntil(workspace.termEnd + 60_000);
    const s = await t.waitFor('seed-cancel', (x) => x.workspace.status === 'cancelled', 'cancellation');
    expect(s.workspace.retentionUntil).toBe(workspace.termEnd + 30 * DAY);
    const refused = await t.use('seed-cancel');
    expect(refused).toMatchObject({ ok: false, code: 'subscription_cancelled' });
    expect(await t.balances('seed-cancel')).toMatchObject({ plan_balance: 0 }); // plan credits expired
    expect((await t.invoices('seed-cancel')).filter((i) => i.kind === 'renewal')).toHaveLength(1); // no renewal charge

    await t.sleepUntil(workspace.termEnd + 29 * DAY);
    const usage = await t.pool.query(`SELECT count(*)::int AS n FROM usage_events WHERE workspace_id = 'seed-cancel'`);
    expect(usage.rows[0].n).toBe(6); // data still there to export

    await t.sleepUntil(workspace.termEnd + 31 * DAY);
    await t.waitFor('seed-cancel', (x) => x.workspace.status === 'deleted', 'purge');
    const row = await t.pool.query(`SELECT status FROM workspaces WHERE id = 'seed-cancel'`);
    expect(row.rows[0].status).toBe('deleted');
    const after = await t.pool.query(
      `SELECT (SELECT count(*)::int FROM usage_events WHERE workspace_id = 'seed-cancel') AS usage,
              (SELECT count(*)::int FROM credit_ledger WHERE workspace_id = 'seed-cancel') AS ledger,
              (SELECT count(*)::int FROM invoices WHERE workspace_id = 'seed-cancel') AS invoices`,
    );
    expect(after.rows[0]).toEqual({ usage: 0, ledger: 0, invoices: 1 });
    const desc = await t.env.client.workflow.getHandle('workspace-billing/seed-cancel').describe();
    expect(desc.status.name).toBe('COMPLETED');
  });

  it('resume before the term ends undoes the cancellation', async () => {
    await t.create({ id: 'seed-resume', plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state('seed-resume');
    await t.workflows.cancel('seed-resume');
    expect(await t.workflows.resume('seed-resume')).toEqual({ status: 'active', cancelAt: null, retentionUntil: null });

    await t.sleepUntil(workspace.termEnd + 60_000);
    const s = await t.waitFor('seed-resume', (x) => x.workspace.termIndex === 1, 'renewal');
    expect(s.workspace).toMatchObject({ status: 'active', cancelAt: null });
    expect((await t.use('seed-resume')).ok).toBe(true);
  });

  it('subscribing again during retention stops the purge and starts a new anchor', async () => {
    await t.create({ id: 'seed-resubscribe', plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state('seed-resubscribe');
    await t.workflows.cancel('seed-resubscribe');
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor('seed-resubscribe', (x) => x.workspace.status === 'cancelled', 'cancellation');

    await t.sleepUntil(workspace.termEnd + 10 * DAY);
    const now = await t.now();
    const r = await t.workflows.resume('seed-resubscribe');
    expect(r).toEqual({ status: 'active', cancelAt: null, retentionUntil: null });
    const s = await t.waitFor('seed-resubscribe', (x) => x.phase === 'subscribed', 'new subscription');
    expect(s.workspace.anchorAt).toBeGreaterThanOrEqual(now);
    expect(s.workspace.termStart).toBe(s.workspace.anchorAt);
    expect(s.workspace.termIndex).toBe(1); // term numbers keep counting across anchors, so business keys never collide
    expect(await t.balances('seed-resubscribe')).toMatchObject({ plan_balance: 100 });

    await t.sleepUntil(workspace.termEnd + 31 * DAY);
    const row = await t.pool.query(`SELECT status FROM workspaces WHERE id = 'seed-resubscribe'`);
    expect(row.rows[0].status).toBe('active');
    expect((await t.use('seed-resubscribe')).ok).toBe(true);
  });
});

describe('imported subscription (a workspace moving in with its billing anchor)', () => {
  it.each([
    ['in its first term', 20],
    ['in its third term', 75],
  ])('%s: terms count from the old anchor, the current one is billed, it renews on the old day', async (name, daysAgo) => {
    const id = `import-${daysAgo}`;
    const now = await t.now();
    const anchorAt = now - daysAgo * DAY;
    const current = termContaining(anchorAt, now);
    expect(current.index).toBe(daysAgo === 20 ? 0 : 2);
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' }, { anchorAt });
    const s = await t.state(id);
    expect(s.workspace).toMatchObject({ anchorAt, termIndex: 0, termStart: current.start, termEnd: current.end });
    const [first] = await t.invoices(id);
    expect(first).toMatchObject({ kind: 'renewal', status: 'paid' });
    expect([first!.period_start.getTime(), first!.period_end.getTime()]).toEqual([current.start, current.end]);

    await t.sleepUntil(current.end + 1000);
    const renewed = await t.waitFor(id, (v) => v.workspace.termIndex === 1, 'the renewal');
    expect(renewed.workspace).toMatchObject({ termStart: current.end, termEnd: addMonthsClamped(anchorAt, current.index + 2) });
    expect(await t.balances(id)).toMatchObject({ term_index: 1, plan_balance: 100 });
  });

  it('refuses an anchor in the future and creates nothing', async () => {
    const id = 'import-future';
    const err = await refusal(t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' }, { anchorAt: (await t.now()) + DAY }));
    expect(err.code).toBe('validation_failed');
    expect(err.message).toMatch(/anchorAt must not be in the future/);
    expect(await t.invoices(id)).toEqual([]);
    expect(await t.balances(id)).toBeUndefined();
  });
});
