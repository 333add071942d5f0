// The workflow's dunning decisions, without Temporal: which unpaid invoices
// are due, when the loop wakes up next, and the status the attempts imply.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, MAX_PAYMENT_ATTEMPTS } from '../../src/domain/workspace';
import type { UnpaidInvoice } from '../../workflows/definitions';
import { isRetryDue, nextDunningRetry, paymentStatusSteps, scheduledAttempts, statusAfterPayments } from '../../workflows/decisions/dunning';

const T0 = Date.UTC(2026, 0, 10);
const unpaid = (attempts: number, extra?: number, firstFailedAt = T0): UnpaidInvoice => ({
  invoiceId: `inv-${attempts}-${extra ?? 'x'}-${firstFailedAt}`,
  kind: 'renewal',
  attempts,
  ...(extra !== undefined ? { extraAttempts: extra } : {}),
  firstFailedAt,
  lastReason: 'card_declined',
  totalCents: 2900,
});

describe('dunning schedule (rule 13: retries 1, 3 and 7 days after the first failure)', () => {
  it('retries each invoice 1, 3 and 7 days after its first failure, then stops', () => {
    expect([1, 2, 3, 4].map((n) => nextDunningRetry([unpaid(n)]))).toEqual([T0 + DAY_MS, T0 + 3 * DAY_MS, T0 + 7 * DAY_MS, null]);
  });

  it('attempts made at once (a new card, a payment) keep the schedule; absent extraAttempts counts as none', () => {
    expect(scheduledAttempts(unpaid(3, 2))).toBe(1);
    expect(scheduledAttempts(unpaid(3))).toBe(3);
    expect(nextDunningRetry([unpaid(3, 2)])).toBe(T0 + DAY_MS);
  });

  it('an invoice is due at its retry time, not before, and never once its attempts are used up', () => {
    expect(isRetryDue(unpaid(1), T0 + DAY_MS - 1)).toBe(false);
    expect(isRetryDue(unpaid(1), T0 + DAY_MS)).toBe(true);
    expect(isRetryDue(unpaid(MAX_PAYMENT_ATTEMPTS), T0 + 365 * DAY_MS)).toBe(false);
  });

  it('the loop wakes for the earliest retry of any invoice; none when nothing is unpaid', () => {
    expect(nextDunningRetry([unpaid(2), unpaid(1, 0, T0 + DAY_MS)])).toBe(T0 + 2 * DAY_MS);
    expect(nextDunningRetry([])).toBeNull();
  });
});

describe('payment outcome to status steps', () => {
  it('a change of status is set and written to the read model; no change, no steps', () => {
    expect(paymentStatusSteps({ status: 'active', unpaid: [unpaid(MAX_PAYMENT_ATTEMPTS)] })).toEqual([
      { kind: 'update-state', patch: { status: 'past_due' } },
      { kind: 'sync', summary: 'Every payment retry failed: past due' },
    ]);
    expect(paymentStatusSteps({ status: 'past_due', unpaid: [] })).toEqual([
      { kind: 'update-state', patch: { status: 'active' } },
      { kind: 'sync', summary: 'Payment received: active again' },
    ]);
    expect(paymentStatusSteps({ status: 'active', unpaid: [unpaid(1)] })).toEqual([]);
    expect(paymentStatusSteps({ status: 'cancelled', unpaid: [unpaid(MAX_PAYMENT_ATTEMPTS)] })).toEqual([]);
  });
});

describe('status after payments', () => {
  it('past_due once an invoice has used up its scheduled attempts, active again when none has', () => {
    expect(statusAfterPayments('active', [unpaid(MAX_PAYMENT_ATTEMPTS)])).toBe('past_due');
    expect(statusAfterPayments('active', [unpaid(MAX_PAYMENT_ATTEMPTS - 1)])).toBe('active');
    expect(statusAfterPayments('past_due', [])).toBe('active');
    // Attempts at once do not count toward past_due.
    expect(statusAfterPayments('active', [unpaid(MAX_PAYMENT_ATTEMPTS, 1)])).toBe('active');
  });

  it('a workspace that is not active or past due keeps its status', () => {
    for (const status of ['cancelled', 'signing_up', 'signup_failed', 'deleted'] as const) {
      expect(statusAfterPayments(status, [unpaid(MAX_PAYMENT_ATTEMPTS)])).toBe(status);
    }
  });
});

describe('dunning as the main loop runs it (property)', () => {
  // Invoices that fail on different days; the loop either wakes for the next
  // scheduled retry (every due invoice declined again) or a new card tries all at once.
  const scenario = fc.record({
    offsetsDays: fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 4 }),
    events: fc.array(fc.constantFrom('wake' as const, 'card' as const), { maxLength: 30 }),
  });

  it('scheduled attempts never exceed the maximum, the loop never wakes in the past, past_due iff some invoice exhausted its schedule', () => {
    fc.assert(
      fc.property(scenario, ({ offsetsDays, events }) => {
        const invoices = offsetsDays.map((d, i) => ({ ...unpaid(1, 0, T0 + d * DAY_MS), invoiceId: `inv-${i}` }));
        let now = Math.min(...invoices.map((u) => u.firstFailedAt));
        let status = statusAfterPayments('active', invoices);
        for (const event of events) {
          if (event === 'wake') {
            const next = nextDunningRetry(invoices);
            if (next === null) continue;
            expect(next).toBeGreaterThan(now);
            now = next; // a punctual loop: it wakes exactly at the earliest retry
            const due = invoices.filter((u) => isRetryDue(u, now));
            expect(due.length).toBeGreaterThan(0);
            for (const u of due) u.attempts += 1;
            // Retrying what was due moves every retry past now: the loop does not spin.
            const after = nextDunningRetry(invoices);
            expect(after === null || after > now).toBe(true);
          } else {
            for (const u of invoices) {
              u.attempts += 1;
              u.extraAttempts = (u.extraAttempts ?? 0) + 1;
            }
          }
          status = statusAfterPayments(status, invoices);
          for (const u of invoices) expect(scheduledAttempts(u)).toBeLessThanOrEqual(MAX_PAYMENT_ATTEMPTS);
          const exhausted = invoices.some((u) => scheduledAttempts(u) >= MAX_PAYMENT_ATTEMPTS);
          expect(status === 'past_due').toBe(exhausted);
          expect(nextDunningRetry(invoices) === null).toBe(invoices.every((u) => scheduledAttempts(u) >= MAX_PAYMENT_ATTEMPTS));
        }
      }),
    );
  });
});
