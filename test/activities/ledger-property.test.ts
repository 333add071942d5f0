// Random sequences of debits, reported facts, purchases, expiries, renewals,
// on-demand changes and replays against the real ledger, checked after every
// step against a plain model and the ledger itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { auditBalances } from '../../src/ledger/audit';
import { checkAndDebit, type UsageInput, type UsageOutcome } from '../../src/ledger/check-and-debit';
import { expirePlanCredits, grantPurchasedCredits, openTerm } from '../../src/ledger/operations';
import { createTestWorkspace, TERM_END, TERM_START, testPool } from '../helpers/ledger';

const pricing = loadPricing();
const pool = testPool(4);

type Op =
  | { kind: 'debit'; credits: number; alreadyPerformed: boolean }
  | { kind: 'purchase'; credits: number }
  | { kind: 'expire' }
  | { kind: 'renew'; planCredits: number }
  | { kind: 'onDemand'; enabled: boolean; monthlyLimit: number }
  | { kind: 'replay'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('debit' as const), credits: fc.integer({ min: 1, max: 40 }), alreadyPerformed: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purchase' as const), credits: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('renew' as const), planCredits: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('onDemand' as const), enabled: fc.boolean(), monthlyLimit: fc.integer({ min: 0, max: 30 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
);

interface Model {
  plan: number;
  purchased: number;
  overage: number;
  shortfall: number;
  term: number;
  /** Closed by the cancellation's expiry: no debit until a new term opens. */
  closed: boolean;
  onDemand: { enabled: boolean; monthlyLimit: number };
}

/** The rules, written out plainly for the model. */
function modelDebit(m: Model, cost: number, fact: boolean): boolean {
  if (m.closed) return false;
  const fromPlan = Math.min(cost, m.plan);
  const fromPurchased = Math.min(cost - fromPlan, m.purchased);
  const rest = cost - fromPlan - fromPurchased;
  const room = !m.onDemand.enabled ? 0 : m.onDemand.monthlyLimit === 0 ? rest : Math.max(0, m.onDemand.monthlyLimit - m.overage);
  const overage = Math.min(rest, room);
  if (rest - overage > 0 && !fact) return false;
  m.plan -= fromPlan;
  m.purchased -= fromPurchased;
  m.overage += overage;
  m.shortfall += rest - overage;
  return true;
}

async function snapshot(ws: string) {
  const { rows } = await pool.query(
    `SELECT b.*, (SELECT count(*) FROM credit_ledger WHERE workspace_id = $1) AS ledger_rows,
            (SELECT count(*) FROM usage_events WHERE workspace_id = $1) AS usage_rows,
            (SELECT count(*) FROM outbox_events WHERE workspace_id = $1) AS outbox_rows
     FROM credit_balances b WHERE b.workspace_id = $1`,
    [ws],
  );
  return rows[0];
}

describe('ledger properties', () => {
  it('balance never negative outside overage, cache == ledger sum, replays never change state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.array(opArb, { minLength: 1, maxLength: 25 }), async (planCredits, ops) => {
        const ws = await createTestWorkspace(pool, { planCredits });
        const m: Model = { plan: planCredits, purchased: 0, overage: 0, shortfall: 0, term: 0, closed: false, onDemand: { enabled: false, monthlyLimit: 0 } };
        const sent: Array<{ input: UsageInput; outcome: UsageOutcome }> = [];
        let step = 0;
        for (const op of ops) {
          step++;
          switch (op.kind) {
            case 'debit': {
              const input = { workspaceId: ws, idempotencyKey: `p-${step}`, memberId: 'm', action: 'ai_assist', feature: 'f', tokens: op.credits * 1000, alreadyPerformed: op.alreadyPerformed };
              const outcome = await checkAndDebit(pool, pricing, input);
              expect(outcome.ok).toBe(modelDebit(m, op.credits, op.alreadyPerformed));
              sent.push({ input, outcome });
              break;
            }
            case 'purchase':
              await grantPurchasedCredits(pool, { workspaceId: ws, credits: op.credits, key: `buy-${step}` });
              m.purchased += op.credits;
              break;
            case 'expire':
              await expirePlanCredits(pool, { workspaceId: ws, termIndex: m.term, key: `expire-${step}` });
              m.plan = 0;
              m.closed = true;
              break;
            case 'renew':
              m.term++;
              await openTerm(pool, { workspaceId: ws, termIndex: m.term, termStart: TERM_START + m.term, termEnd: TERM_END + m.term, plan: 'free', planCredits: op.planCredits, planPriceCents: 0 });
              Object.assign(m, { plan: op.planCredits, overage: 0, shortfall: 0, closed: false });
              break;
            case 'onDemand':
              await pool.query(`UPDATE workspaces SET on_demand_enabled = $2, on_demand_monthly_limit = $3 WHERE id = $1`, [ws, op.enabled, op.monthlyLimit]);
              m.onDemand = { enabled: op.enabled, monthlyLimit: op.monthlyLimit };
              break;
            case 'replay': {
              const prior = sent.filter((s) => s.outcome.ok)[op.pick % Math.max(1, sent.length)];
              if (!prior) break;
              const before = await snapshot(ws);
              const again = await checkAndDebit(pool, pricing, prior.input);
              expect(again).toEqual({ ...prior.outcome, replayed: true });
              expect(await snapshot(ws)).toEqual(before);
              break;
            }
          }
          const [audit] = await auditBalances(pool, ws);
          expect(audit!.cache).toEqual(audit!.ledger);
          expect(audit!.cache).toEqual({ plan: m.plan, purchased: m.purchased, overageUsed: m.overage, unbilledShortfall: m.shortfall });
          expect(audit!.cache.plan).toBeGreaterThanOrEqual(0);
          expect(audit!.cache.purchased).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 100 },
    );
  });
});
