// What the end of a term does, decided without Temporal: the renewal's steps
// (SPEC rules 6 and 7) or, once the cancellation falls due, the end of the
// subscription (rule 12).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, RETENTION_DAYS } from '../../src/domain/workspace';
import type { Step } from '../../workflows/decisions/steps';
import { endOfSubscriptionSteps, renewalSteps, termEndSteps } from '../../workflows/decisions/term-end';
import { termOf } from '../../workflows/decisions/terms';
import { RETENTION_COLLECTS_DEBT } from '../../workflows/patches';
import { subscribedState, T0 } from '../helpers/decision-state';

const kinds = (steps: Step[]) => steps.map((s) => s.kind);

describe('renewal steps', () => {
  it('adopt the next term, open it, read the ending term overage, bill, charge (decline: dunning), deliver, sync', () => {
    const s = subscribedState({ termIndex: 2 });
    const steps = renewalSteps(s, 3);
    expect(kinds(steps)).toEqual(['adopt-next-term', 'open-term', 'read-overage', 'issue-base-invoice', 'charge', 'finalize-invoice', 'sync']);
    expect(steps).toContainEqual({ kind: 'open-term', term: termOf(s, 3) });
    expect(steps).toContainEqual({ kind: 'read-overage', termIndex: 2, final: false });
    expect(steps).toContainEqual({ kind: 'issue-base-invoice', term: termOf(s, 3), previous: termOf(s, 2) });
    expect(steps).toContainEqual({ kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'renewal' } });
    expect(steps.at(-1)).toEqual({ kind: 'sync', summary: 'Renewed into term 3' });
  });

  it('ledger in one activity (RENEWAL_LEDGER_IN_ONE_ACTIVITY): adopt, renew the term with its invoice and read model, charge, then deliver', () => {
    const s = subscribedState({ termIndex: 2 });
    expect(renewalSteps(s, 3, true)).toEqual([
      { kind: 'adopt-next-term', target: 3 },
      { kind: 'renew-term', term: termOf(s, 3), previous: termOf(s, 2) },
      { kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'renewal' } },
      { kind: 'finalize-invoice' },
    ]);
    expect(kinds(renewalSteps(subscribedState({ termIndex: 3 }), 3, true))[0]).toBe('renew-term');
    const ending = termOf(s, 2);
    expect(termEndSteps(s, ending, true)).toEqual(renewalSteps(s, 3, true));
    expect(termEndSteps({ ...s, cancelAt: ending.end }, ending, true)).toEqual(endOfSubscriptionSteps({ ...s, cancelAt: ending.end }));
  });

  it('a retry after a failure part-way does not adopt the next term again (it is in force)', () => {
    expect(kinds(renewalSteps(subscribedState({ termIndex: 3 }), 3))[0]).toBe('open-term');
  });

  it('without a due cancellation the term end renews; a cancellation at or before the term end ends the subscription', () => {
    const s = subscribedState({ termIndex: 1 });
    const ending = termOf(s, 1);
    expect(termEndSteps(s, ending)).toEqual(renewalSteps(s, 2));
    expect(termEndSteps({ ...s, cancelAt: ending.end }, ending)).toEqual(endOfSubscriptionSteps({ ...s, cancelAt: ending.end }));
    expect(termEndSteps({ ...s, cancelAt: ending.end + 1 }, ending)).toEqual(renewalSteps(s, 2));
  });
});

describe('end of subscription steps', () => {
  it('expire plan credits, start retention for 30 days, then invoice and charge the final overage (debt kept since the patch)', () => {
    const s = subscribedState({ termIndex: 4, cancelAt: T0 });
    const term = termOf(s, 4);
    expect(endOfSubscriptionSteps(s)).toEqual([
      { kind: 'expire-plan-credits', termIndex: 4, key: 'cancel-expire:ws-1:4' },
      { kind: 'update-state', patch: { status: 'cancelled', phase: 'retention', retentionUntil: term.end + RETENTION_DAYS * DAY_MS } },
      { kind: 'sync', summary: 'Cancelled at term end: AI access disabled' },
      { kind: 'read-overage', termIndex: 4, final: true },
      { kind: 'issue-final-invoice', term },
      { kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'final', onlyIfPatched: RETENTION_COLLECTS_DEBT } },
      { kind: 'finalize-invoice' },
    ]);
  });
});

describe('term end (property)', () => {
  const scenario = fc.record({
    anchorDays: fc.integer({ min: 0, max: 3000 }),
    termIndex: fc.integer({ min: 0, max: 200 }),
    anchorTermIndex: fc.integer({ min: -24, max: 0 }),
    cancel: fc.option(fc.integer({ min: -40, max: 40 }), { nil: null }),
  });

  it('every plan opens before it charges and charges before it delivers; the renewed term follows the ending one without a gap', () => {
    fc.assert(
      fc.property(scenario, ({ anchorDays, termIndex, anchorTermIndex, cancel }) => {
        const base = subscribedState({ anchor: Date.UTC(2018, 0, 31) + anchorDays * DAY_MS, termIndex, anchorTermIndex });
        const ending = termOf(base, termIndex);
        const s = { ...base, cancelAt: cancel === null ? null : ending.end + cancel * DAY_MS };
        const steps = termEndSteps(s, ending);
        const at = (k: Step['kind']) => kinds(steps).indexOf(k);
        expect(at('charge')).toBeGreaterThan(at('read-overage'));
        expect(at('finalize-invoice')).toBeGreaterThan(at('charge'));
        expect(kinds(steps).filter((k) => k === 'charge')).toHaveLength(1);
        const ends = s.cancelAt !== null && s.cancelAt <= ending.end;
        expect(at('expire-plan-credits') === 0).toBe(ends);
        if (!ends) {
          const open = steps.find((x): x is Extract<Step, { kind: 'open-term' }> => x.kind === 'open-term')!;
          expect(open.term.index).toBe(termIndex + 1);
          expect(open.term.start).toBe(ending.end);
          expect(open.term.end).toBeGreaterThan(open.term.start);
          expect(at('open-term')).toBeLessThan(at('charge'));
        }
      }),
    );
  });
});
