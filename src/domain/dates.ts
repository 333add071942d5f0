// Calendar dates for documents, always UTC and never locale-dependent.
import type { Instant } from './terms';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 2025-03-15T... -> "Mar 15, 2025" (UTC). */
export function formatDate(at: Instant): string {
  const d = new Date(at);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/**
 * A [start, end) period as "Mar 15 – Apr 15, 2025", or "Dec 15, 2025 – Jan 15, 2026"
 * across a year (end = the next period's start, as Stripe prints it).
 */
export function formatPeriod(start: Instant, end: Instant): string {
  const sameYear = new Date(start).getUTCFullYear() === new Date(end).getUTCFullYear();
  const from = sameYear ? formatDate(start).replace(/, \d{4}$/, '') : formatDate(start);
  return `${from} – ${formatDate(end)}`;
}
