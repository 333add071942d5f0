// Pure dunning decisions (no Temporal): which unpaid invoices are due for a
// retry, when the main loop wakes up next, and the status the attempts imply.
import { dunningRetryAt, MAX_PAYMENT_ATTEMPTS, type WorkspaceStatus } from '../../src/domain/workspace';
import type { UnpaidInvoice } from '../definitions';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';

/** Dunning attempts on the 1/3/7-day schedule (attempts at once after a new card or a payment do not count). */
export const scheduledAttempts = (u: UnpaidInvoice): number => u.attempts - (u.extraAttempts ?? 0);

/** When this invoice's next scheduled retry is; null once its scheduled attempts are used up. */
export const retryAt = (u: UnpaidInvoice): number | null => dunningRetryAt(u.firstFailedAt, scheduledAttempts(u));

/** True when the invoice has a scheduled retry at or before `now`. */
export function isRetryDue(u: UnpaidInvoice, now: number): boolean {
  const at = retryAt(u);
  return at !== null && at <= now;
}

/** The earliest scheduled retry of any unpaid invoice; null when none is scheduled. */
export function nextDunningRetry(unpaid: readonly UnpaidInvoice[]): number | null {
  let next: number | null = null;
  for (const u of unpaid) {
    const at = retryAt(u);
    if (at !== null && (next === null || at < next)) next = at;
  }
  return next;
}

/**
 * Rule 13: past_due exactly while some invoice has used up its scheduled
 * attempts, active otherwise. Only an active or past-due workspace moves
 * between the two; any other status (signing up, cancelled ...) stays.
 */
export function statusAfterPayments(status: WorkspaceStatus, unpaid: readonly UnpaidInvoice[]): WorkspaceStatus {
  if (status !== 'active' && status !== 'past_due') return status;
  return unpaid.some((u) => scheduledAttempts(u) >= MAX_PAYMENT_ATTEMPTS) ? 'past_due' : 'active';
}

/** The status change the payment outcomes imply, written to the read model; no steps when the status stays. */
export function paymentStatusSteps(s: Pick<WorkspaceState, 'status' | 'unpaid'>): Steps {
  const status = statusAfterPayments(s.status, s.unpaid);
  if (status === s.status) return [];
  const summary = status === 'past_due' ? 'Every payment retry failed: past due' : 'Payment received: active again';
  return [{ kind: 'update-state', patch: { status } }, { kind: 'sync', summary }];
}

/** Rule 13: a payment that succeeds while invoices are unpaid proves the card works: collect them at once. */
export const collectsAfterPayment = (unpaid: readonly UnpaidInvoice[]): boolean => unpaid.length > 0;

/**
 * Charges unpaid invoices again: those whose dunning retry is due (`due`), or
 * all of them at once (`all`: a new card while past due, a payment that just
 * succeeded; such attempts are extra, they keep the schedule). Then the
 * status the outcomes imply. A retry planned for later than `now` runs only
 * if its time has come when its step is reached (the charges before it take
 * time): exactly the retries that are due at that moment.
 */
export function dunningRetrySteps(unpaid: readonly UnpaidInvoice[], which: 'due' | 'all', now: number): Steps {
  const steps: Steps = [];
  for (const u of unpaid) {
    const retry = { kind: 'retry-unpaid' as const, invoiceId: u.invoiceId, attempt: u.attempts + 1 };
    if (which === 'all') {
      steps.push({ ...retry, extra: true });
      continue;
    }
    const at = retryAt(u);
    if (at !== null) steps.push(at <= now ? { ...retry, extra: false } : { ...retry, extra: false, notBefore: at });
  }
  // Every unpaid invoice was just tried: nothing left to collect at once.
  if (which === 'all') steps.push({ kind: 'update-state', patch: { collectUnpaid: false } });
  steps.push({ kind: 'update-payment-status' });
  return steps;
}

/** The unpaid list after a retry of `invoiceId`: paid (`declineReason` null) it leaves, declined it counts the attempt. */
export function unpaidAfterRetry(unpaid: readonly UnpaidInvoice[], invoiceId: string, extra: boolean, declineReason: string | null): UnpaidInvoice[] {
  if (declineReason === null) return unpaid.filter((u) => u.invoiceId !== invoiceId);
  return unpaid.map((u) =>
    u.invoiceId !== invoiceId
      ? u
      : { ...u, attempts: u.attempts + 1, ...(extra ? { extraAttempts: (u.extraAttempts ?? 0) + 1 } : {}), lastReason: declineReason },
  );
}
