// Calendar dates for documents, always UTC and never locale-dependent.
import type { Instant } from './terms';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 2025-03-15T... -> "Mar 15, 2025" (UTC). */
export function formatDate(at: Instant): string {
  const d = new Date(at);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}`;
}

/** A [start, end) period as "Mar 15, 2025 – Apr 15, 2025" (end = the next period's start, as Stripe prints it). */
export const formatPeriod = (start: Instant, end: Instant) => `${formatDate(start)} – ${formatDate(end)}`;
