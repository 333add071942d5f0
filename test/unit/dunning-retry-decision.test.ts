// Dunning retries decided without Temporal (SPEC rule 13): which unpaid
// invoices are charged again, as which attempt, and what a retry's outcome
// does to the unpaid list.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MAX_PAYMENT_ATTEMPTS } from '../../src/domain/workspace';
import type { UnpaidInvoice } from '../../workflows/definitions';
import { dunningRetrySteps, isRetryDue, retryAt, scheduledAttempts, unpaidAfterRetry } from '../../workflows/decisions/dunning';
import type { Steps } from '../../workflows/decisions/steps';
import { T0, unpaidInvoice } from '../helpers/decision-state';

const retries = (steps: Steps) => steps.filter((s) => s.kind === 'retry-unpaid');

describe('dunningRetrySteps', () => {
  it('due: only invoices whose retry time has come, each as its next attempt on the schedule, then the status', () => {
    const due = unpaidInvoice(1, T0 - DAY_MS, 'due');
    const later = unpaidInvoice(2, T0 - DAY_MS, 'later'); // its retry is 3 days after the first failure
    const spent = unpaidInvoice(MAX_PAYMENT_ATTEMPTS, T0 - 30 * DAY_MS, 'spent');
    expect(dunningRetrySteps([due, later, spent], 'due', T0)).toEqual([
      { kind: 'retry-unpaid', invoiceId: 'due', attempt: 2, extra: false },
      { kind: 'retry-unpaid', invoiceId: 'later', attempt: 3, extra: false, notBefore: T0 + 2 * DAY_MS },
      { kind: 'update-payment-status' },
    ]);
  });

  it('all: every unpaid invoice at once as an extra attempt, then nothing left to collect, then the status', () => {
    const a = unpaidInvoice(1, T0, 'a');
    const b = unpaidInvoice(MAX_PAYMENT_ATTEMPTS, T0, 'b');
    expect(dunningRetrySteps([a, b], 'all', T0)).toEqual([
      { kind: 'retry-unpaid', invoiceId: 'a', attempt: 2, extra: true },
      { kind: 'retry-unpaid', invoiceId: 'b', attempt: MAX_PAYMENT_ATTEMPTS + 1, extra: true },
      { kind: 'update-state', patch: { collectUnpaid: false } },
      { kind: 'update-payment-status' },
    ]);
  });

  it('nothing unpaid: only the status (all also clears the collect flag)', () => {
    expect(dunningRetrySteps([], 'due', T0)).toEqual([{ kind: 'update-payment-status' }]);
    expect(dunningRetrySteps([], 'all', T0)).toEqual([{ kind: 'update-state', patch: { collectUnpaid: false } }, { kind: 'update-payment-status' }]);
  });
});

describe('unpaidAfterRetry', () => {
  const a = unpaidInvoice(1, T0, 'a');
  const b = unpaidInvoice(2, T0, 'b');
  it('paid: the invoice leaves the list, the others stay as they were', () => {
    expect(unpaidAfterRetry([a, b], 'a', false, null)).toEqual([b]);
  });
  it('declined on schedule: one more attempt and the new reason; at once: also counted as extra', () => {
    expect(unpaidAfterRetry([a, b], 'b', false, 'insufficient_funds')).toEqual([a, { ...b, attempts: 3, lastReason: 'insufficient_funds' }]);
    expect(unpaidAfterRetry([a, b], 'b', true, 'x')).toEqual([a, { ...b, attempts: 3, extraAttempts: 1, lastReason: 'x' }]);
  });
  it('does not change the list it was given', () => {
    const list = [a, b];
    unpaidAfterRetry(list, 'b', true, 'x');
    expect(list).toEqual([unpaidInvoice(1, T0, 'a'), unpaidInvoice(2, T0, 'b')]);
  });
});

describe('dunning retries (property)', () => {
  const invoice = fc
    .record({ attempts: fc.integer({ min: 1, max: 6 }), extra: fc.integer({ min: 0, max: 3 }), failedDaysAgo: fc.integer({ min: 0, max: 12 }) })
    .filter((r) => r.extra < r.attempts);
  const scenario = fc.record({
    invoices: fc.array(invoice, { maxLength: 5 }),
    which: fc.constantFrom('due' as const, 'all' as const),
    // Declines per retry, in order.
    declines: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
  });

  it('retries each invoice at most once, as attempts + 1, never one whose schedule is spent unless all; outcomes keep the schedule of extra attempts', () => {
    fc.assert(
      fc.property(scenario, ({ invoices, which, declines }) => {
        const unpaid: UnpaidInvoice[] = invoices.map((r, i) => ({ ...unpaidInvoice(r.attempts, T0 - r.failedDaysAgo * DAY_MS, `inv-${i}`), extraAttempts: r.extra }));
        const planned = retries(dunningRetrySteps(unpaid, which, T0));
        expect(new Set(planned.map((s) => s.invoiceId)).size).toBe(planned.length);
        for (const s of planned) {
          const u = unpaid.find((x) => x.invoiceId === s.invoiceId)!;
          expect(s.attempt).toBe(u.attempts + 1);
          expect(s.extra).toBe(which === 'all');
          if (which === 'due') {
            expect(retryAt(u)).not.toBeNull();
            // Due now runs at once; a later retry only once its time has come.
            expect(s.notBefore).toBe(isRetryDue(u, T0) ? undefined : retryAt(u));
          }
        }
        if (which === 'all') expect(planned.length).toBe(unpaid.length);
        // Running the retries with the given outcomes: paid ones leave, declined ones count the attempt; extra attempts keep the schedule.
        let after = unpaid;
        planned.forEach((s, i) => (after = unpaidAfterRetry(after, s.invoiceId, s.extra, declines[i] ? 'card_declined' : null)));
        for (const u of after) {
          const before = unpaid.find((x) => x.invoiceId === u.invoiceId)!;
          const tried = planned.some((s) => s.invoiceId === u.invoiceId);
          expect(u.attempts).toBe(before.attempts + (tried ? 1 : 0));
          expect(scheduledAttempts(u)).toBe(scheduledAttempts(before) + (tried && which === 'due' ? 1 : 0));
        }
        expect(after.length).toBe(unpaid.length - planned.filter((_, i) => !declines[i]).length);
      }),
    );
  });
});
