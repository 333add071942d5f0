// Fourteen months in the life of one Pro workspace anchored on Jan 31 of a
// leap year, checked term by term: allocations reset with no rollover,
// purchased credits survive renewals, overage of term n is billed on the
// renewal invoice of term n+1, and the anchor day is kept (Feb 29, Mar 31,
// Apr 30, ...).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillingTestEnv, DAY } from '../helpers/billing-env';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

const WS = 'life-14m';
const ANCHOR = Date.UTC(2028, 0, 31); // Jan 31 2028, a leap year
const EXPECTED_TERM_STARTS = [
  '2028-01-31', '2028-02-29', '2028-03-31', '2028-04-30', '2028-05-31', '2028-06-30', '2028-07-31',
  '2028-08-31', '2028-09-30', '2028-10-31', '2028-11-30', '2028-12-31', '2029-01-31', '2029-02-28', '2029-03-31',
];

// Per term: credits bought at its start, credits used in it, and the split we expect.
const PLAN = [
  { buy: 0, use: 103, expect: { purchasedLeft: 0, overage: 3 } },
  { buy: 0, use: 104, expect: { purchasedLeft: 0, overage: 4 } },
  { buy: 100, use: 130, expect: { purchasedLeft: 70, overage: 0 } },
  { buy: 0, use: 130, expect: { purchasedLeft: 40, overage: 0 } },
  { buy: 0, use: 130, expect: { purchasedLeft: 10, overage: 0 } },
  { buy: 0, use: 130, expect: { purchasedLeft: 0, overage: 20 } },
  { buy: 0, use: 130, expect: { purchasedLeft: 0, overage: 30 } },
  { buy: 0, use: 60, expect: { purchasedLeft: 0, overage: 0 } }, // 40 plan credits left: they must not roll over
  { buy: 200, use: 100, expect: { purchasedLeft: 200, overage: 0 } },
  { buy: 0, use: 0, expect: { purchasedLeft: 200, overage: 0 } },
  { buy: 0, use: 250, expect: { purchasedLeft: 50, overage: 0 } },
  { buy: 0, use: 175, expect: { purchasedLeft: 0, overage: 25 } },
  { buy: 0, use: 101, expect: { purchasedLeft: 0, overage: 1 } },
  { buy: 0, use: 100, expect: { purchasedLeft: 0, overage: 0 } },
] as const;

describe('a 14-month life', () => {
  it('renews 14 times from a Jan 31 anchor with exact balances and invoices', async () => {
    await t.sleepUntil(ANCHOR);
    await t.create({ id: WS, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(WS, { enabled: true, monthlyLimit: 0 });
    const first = await t.state(WS);
    expect(new Date(first.workspace.anchorAt).toISOString().slice(0, 10)).toBe('2028-01-31');

    for (let n = 0; n < PLAN.length; n++) {
      const step = PLAN[n]!;
      const s = await t.waitFor(WS, (x) => x.workspace.termIndex === n, `term ${n}`);
      expect(new Date(s.workspace.termStart).toISOString().slice(0, 10)).toBe(EXPECTED_TERM_STARTS[n]);
      expect(new Date(s.workspace.termEnd).toISOString().slice(0, 10)).toBe(EXPECTED_TERM_STARTS[n + 1]);
      expect(s.workspace.termStart % DAY).toBe(first.workspace.anchorAt % DAY); // same time of day

      const start = await t.balances(WS);
      expect(start).toMatchObject({ term_index: n, plan_balance: 100, overage_used: 0 }); // fresh allocation, no rollover

      await t.sleepUntil(s.workspace.termStart + 2 * DAY);
      if (step.buy > 0) await t.workflows.purchaseCredits(WS, { credits: step.buy, idempotencyKey: `buy-${n}` });
      expect(await t.useCredits(WS, step.use)).toBe(step.use);
      const end = await t.balances(WS);
      expect(end).toMatchObject({ purchased_balance: step.expect.purchasedLeft, overage_used: step.expect.overage });

      await t.sleepUntil(s.workspace.termEnd + 60_000);
      await t.waitFor(WS, (x) => x.workspace.termIndex === n + 1, `renewal into term ${n + 1}`);
      const renewed = await t.balances(WS);
      expect(renewed).toMatchObject({ plan_balance: 100, purchased_balance: step.expect.purchasedLeft, overage_used: 0 });

      const invoice = (await t.invoices(WS)).find((i) => i.business_key === `renewal:${WS}:${n + 1}`);
      expect(invoice, `renewal invoice of term ${n + 1}`).toMatchObject({ status: 'paid' });
      const lines = await t.invoiceLines(invoice!.id);
      expect(lines.find((l) => l.kind === 'base_fee')).toMatchObject({ amount_cents: 2900 });
      const overage = lines.find((l) => l.kind === 'overage');
      if (step.expect.overage > 0) expect(overage).toMatchObject({ quantity: step.expect.overage, amount_cents: step.expect.overage });
      else expect(overage).toBeUndefined();
      expect(invoice!.subtotal_cents).toBe(2900 + step.expect.overage);
    }

    // The ledger tells the same story: one grant per term, expiries only for unused plan credits (terms 7 and 9).
    const { rows } = await t.pool.query<{ kind: string; term_index: number; amount: number }>(
      `SELECT kind, term_index, amount FROM credit_ledger WHERE workspace_id = $1 AND kind IN ('grant', 'expiry') ORDER BY id`,
      [WS],
    );
    expect(rows.filter((r) => r.kind === 'grant').map((r) => r.term_index)).toEqual([...Array(PLAN.length + 1).keys()]);
    expect(rows.filter((r) => r.kind === 'expiry')).toEqual([
      { kind: 'expiry', term_index: 7, amount: -40 },
      { kind: 'expiry', term_index: 9, amount: -100 },
    ]);
    const renewals = (await t.invoices(WS)).filter((i) => i.kind === 'renewal');
    expect(renewals).toHaveLength(PLAN.length + 1); // term 0 at sign-up + one per renewal, none twice
  });
});
