// Pure dunning decisions (no Temporal): which unpaid invoices are due for a
// retry, when the next retry is, and the status their attempts imply.
import type { UnpaidInvoice } from './definitions';

/** Dunning attempts on the 1/3/7-day schedule (attempts at once after a new card or a payment do not count). */
export const scheduledAttempts = (u: UnpaidInvoice): number => u.attempts - (u.extraAttempts ?? 0);
