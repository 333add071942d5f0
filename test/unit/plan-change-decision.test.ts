// A plan change decided without Temporal (SPEC rule 5): an upgrade is paid
// now, a cheaper plan waits for renewal, the plan in force again withdraws a
// scheduled change; refused while the term-end step is blocked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from '../../src/domain/failure-codes';
import { decidePlanChange } from '../../workflows/decisions/plan-change';
import type { Step } from '../../workflows/decisions/steps';
import { currentTerm } from '../../workflows/decisions/terms';
import { subscribedState } from '../helpers/decision-state';

const ctx = { renewalPending: false, requestId: 'upd-1' };
const pro = { monthlyCredits: 100, monthlyPriceCents: 2900 };
const team = { monthlyCredits: 400, monthlyPriceCents: 9900 };
const free = { monthlyCredits: 25, monthlyPriceCents: 0 };
const kinds = (steps: Step[]) => steps.map((s) => s.kind);

describe('decidePlanChange', () => {
  it('an upgrade is invoiced and charged first; the plan bucket and the state change only after, then the invoice is delivered', () => {
    const s = subscribedState();
    const d = decidePlanChange(s, { plan: 'team' }, team, ctx);
    expect(d.kind).toBe('upgrade');
    if (d.kind !== 'upgrade') return;
    expect(kinds(d.steps)).toEqual(['issue-upgrade-invoice', 'charge', 'replace-plan-bucket', 'update-state', 'sync', 'finalize-invoice', 'read-balances']);
    const term = currentTerm(s);
    expect(d.steps[0]).toEqual({
      kind: 'issue-upgrade-invoice',
      from: { plan: 'pro', priceCents: 2900 },
      to: { plan: 'team', priceCents: 9900 },
      term,
      legacyKey: 'upgrade:ws-1:upd-1',
    });
    expect(d.steps[1]).toEqual({ kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'upgrade payment failed: ', suffix: '; nothing changed' } });
    expect(d.steps[2]).toEqual({ kind: 'replace-plan-bucket', termIndex: term.index, plan: 'team', planCredits: 400, planPriceCents: 9900 });
    expect(d.steps[3]).toEqual({ kind: 'update-state', patch: { plan: 'team', planCredits: 400, planPriceCents: 9900, enterprise: null, scheduledChange: null } });
  });

  it('an upgrade needs a card on file', () => {
    expect(decidePlanChange(subscribedState({ paymentMethod: null }), { plan: 'team' }, team, ctx)).toMatchObject({
      kind: 'refuse',
      code: FailureCodes.paymentMethodRequired,
    });
  });

  it('a cheaper plan is scheduled for the end of the term, charging nothing', () => {
    const s = subscribedState();
    expect(decidePlanChange(s, { plan: 'free' }, free, ctx)).toEqual({
      kind: 'schedule',
      effective: 'at_renewal',
      effectiveAt: currentTerm(s).end,
      steps: [
        { kind: 'update-state', patch: { scheduledChange: { plan: 'free' } } },
        { kind: 'sync', summary: 'Plan change to free scheduled for renewal' },
      ],
    });
  });

  it('the plan in force again withdraws a scheduled change, and is a no-op without one', () => {
    expect(decidePlanChange(subscribedState({ scheduledChange: { plan: 'free' } }), { plan: 'pro' }, pro, ctx)).toEqual({
      kind: 'withdraw',
      effective: 'immediately',
      steps: [{ kind: 'update-state', patch: { scheduledChange: null } }, { kind: 'sync', summary: 'Scheduled plan change withdrawn' }],
    });
    expect(decidePlanChange(subscribedState(), { plan: 'pro' }, pro, ctx)).toEqual({ kind: 'unchanged', effective: 'immediately', steps: [] });
  });

  it('refused with renewal_pending while the term-end step is blocked; a re-subscription during retention', () => {
    expect(decidePlanChange(subscribedState(), { plan: 'team' }, team, { ...ctx, renewalPending: true })).toMatchObject({
      kind: 'refuse',
      code: FailureCodes.renewalPending,
    });
    expect(decidePlanChange(subscribedState({ phase: 'retention' }), { plan: 'team' }, team, ctx)).toEqual({ kind: 'resubscribe' });
  });
});

describe('decidePlanChange (property)', () => {
  const terms = fc.record({ monthlyCredits: fc.integer({ min: 0, max: 100_000 }), monthlyPriceCents: fc.integer({ min: 0, max: 1_000_000 }) });
  const input = fc.record({
    current: terms,
    target: terms,
    plan: fc.constantFrom('free', 'pro', 'team', 'enterprise'),
    scheduled: fc.boolean(),
    card: fc.boolean(),
  });

  it('money moves only for a higher price, never before the charge is planned, and the plan changes only after it', () => {
    fc.assert(
      fc.property(input, ({ current, target, plan, scheduled, card }) => {
        const s = subscribedState({
          plan: 'pro',
          planCredits: current.monthlyCredits,
          planPriceCents: current.monthlyPriceCents,
          scheduledChange: scheduled ? { plan: 'free' } : null,
          paymentMethod: card ? 'pm_card' : null,
        });
        const d = decidePlanChange(s, { plan }, target, ctx);
        const same = plan === 'pro';
        const upgrade = !same && target.monthlyPriceCents > current.monthlyPriceCents;
        if (upgrade && !card) {
          expect(d).toMatchObject({ kind: 'refuse', code: FailureCodes.paymentMethodRequired });
          return;
        }
        expect(d.kind).toBe(same ? (scheduled ? 'withdraw' : 'unchanged') : upgrade ? 'upgrade' : 'schedule');
        if (d.kind === 'refuse' || d.kind === 'resubscribe') return;
        const k = kinds(d.steps);
        expect(k.includes('charge')).toBe(upgrade);
        if (upgrade) {
          expect(k.indexOf('charge')).toBeGreaterThan(k.indexOf('issue-upgrade-invoice'));
          expect(k.indexOf('replace-plan-bucket')).toBeGreaterThan(k.indexOf('charge'));
          expect(k.indexOf('update-state')).toBeGreaterThan(k.indexOf('replace-plan-bucket'));
        }
      }),
    );
  });
});
