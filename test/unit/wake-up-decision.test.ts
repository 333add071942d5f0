// When the main loop wakes up next, decided without Temporal: the term end,
// the retention purge, or an earlier dunning retry (rule 13: 1, 3, 7 days).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/domain/workspace';
import { nextDunningRetry } from '../../workflows/decisions/dunning';
import { currentTerm } from '../../workflows/decisions/terms';
import { nextWakeUp } from '../../workflows/decisions/wake-up';
import { subscribedState, T0, unpaidInvoice } from '../helpers/decision-state';

describe('nextWakeUp', () => {
  it('subscribed with nothing unpaid: at the end of the term', () => {
    const s = subscribedState();
    const end = currentTerm(s).end;
    expect(nextWakeUp(s, true)).toEqual({ at: end, reason: 'term_end', summary: `Wait for term 0 to end ${new Date(end).toISOString()}` });
  });

  it('a dunning retry before the term end comes first; one after it waits for the term end', () => {
    const s = subscribedState({ unpaid: [unpaidInvoice(1, T0)] });
    expect(nextWakeUp(s, true)).toMatchObject({ at: T0 + DAY_MS, reason: 'dunning_retry' });
    const late = subscribedState({ unpaid: [unpaidInvoice(1, currentTerm(s).end)] });
    expect(nextWakeUp(late, true)).toMatchObject({ at: currentTerm(s).end, reason: 'term_end' });
  });

  it('in retention: the purge, or an earlier retry while retention collects debt (older runs wait for the purge only)', () => {
    const s = subscribedState({ phase: 'retention', status: 'cancelled', retentionUntil: T0 + 40 * DAY_MS, unpaid: [unpaidInvoice(2, T0)] });
    expect(nextWakeUp(s, true)).toMatchObject({ at: T0 + 3 * DAY_MS, reason: 'dunning_retry' });
    expect(nextWakeUp(s, false)).toEqual({
      at: T0 + 40 * DAY_MS,
      reason: 'retention_purge',
      summary: `Retention: purge data at ${new Date(T0 + 40 * DAY_MS).toISOString()} unless re-subscribed`,
    });
  });
});

describe('nextWakeUp (property)', () => {
  const scenario = fc.record({
    retention: fc.boolean(),
    collects: fc.boolean(),
    invoices: fc.array(fc.record({ attempts: fc.integer({ min: 1, max: 5 }), failedDay: fc.integer({ min: -10, max: 60 }) }), { maxLength: 4 }),
  });

  it('wakes at the earliest of its deadline and the next retry it may run, never later than the deadline', () => {
    fc.assert(
      fc.property(scenario, ({ retention, collects, invoices }) => {
        const unpaid = invoices.map((u, i) => unpaidInvoice(u.attempts, T0 + u.failedDay * DAY_MS, `inv-${i}`));
        const s = subscribedState({ unpaid, ...(retention ? { phase: 'retention' as const, retentionUntil: T0 + 35 * DAY_MS } : {}) });
        const deadline = retention ? T0 + 35 * DAY_MS : currentTerm(s).end;
        const retry = retention && !collects ? null : nextDunningRetry(unpaid);
        const wake = nextWakeUp(s, collects);
        expect(wake.at).toBe(Math.min(deadline, retry ?? Infinity));
        expect(wake.reason === 'dunning_retry').toBe(wake.at < deadline);
        expect(wake.reason).not.toBe(retention ? 'term_end' : 'retention_purge');
      }),
    );
  });
});
