// Term boundaries (SPEC section 3). Every boundary is computed from the anchor
// and the term index, never from the previous boundary, so a Jan 31 anchor
// gives Feb 28/29, then Mar 31 again, and 1,000 terms later still the 31st.

/** Epoch milliseconds, UTC. */
export type Instant = number;

export interface Term {
  index: number;
  start: Instant;
  end: Instant;
}

export function daysInMonth(year: number, monthIndex: number): number {
  return new Date(Date.UTC(year, monthIndex + 1, 0)).getUTCDate();
}

/** `anchor + months`, keeping the anchor's day of month clamped to the month's last day. */
export function addMonthsClamped(anchor: Instant, months: number): Instant {
  if (!Number.isInteger(months)) throw new RangeError(`months must be an integer, got ${months}`);
  const a = new Date(anchor);
  if (Number.isNaN(a.getTime())) throw new RangeError('anchor is not a valid instant');
  const totalMonths = a.getUTCFullYear() * 12 + a.getUTCMonth() + months;
  const year = Math.floor(totalMonths / 12);
  const month = totalMonths - year * 12;
  const day = Math.min(a.getUTCDate(), daysInMonth(year, month));
  const d = new Date(0);
  d.setUTCFullYear(year, month, day);
  d.setUTCHours(a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
  return d.getTime();
}

/** Term n = [anchor + n months, anchor + (n+1) months). */
export function termAt(anchor: Instant, index: number): Term {
  return { index, start: addMonthsClamped(anchor, index), end: addMonthsClamped(anchor, index + 1) };
}

/** The term containing `at` (at >= anchor). */
export function termContaining(anchor: Instant, at: Instant): Term {
  if (at < anchor) throw new RangeError('instant is before the anchor');
  const a = new Date(anchor);
  const t = new Date(at);
  // Month difference is exact or one too many; step back when needed.
  let n = (t.getUTCFullYear() - a.getUTCFullYear()) * 12 + (t.getUTCMonth() - a.getUTCMonth());
  while (n > 0 && addMonthsClamped(anchor, n) > at) n--;
  while (addMonthsClamped(anchor, n + 1) <= at) n++;
  return termAt(anchor, n);
}

/**
 * The latest anchor before `end` with a term ending exactly at `end`: an
 * imported subscription with it renews at that instant (load tests and fault
 * drills use it). One month back is not always enough: no anchor renews on
 * May 31 after one month (Apr 30 + 1 month = May 30), Mar 31 does after two.
 */
export function anchorWithTermEndingAt(end: Instant): Instant {
  for (let months = 1; months <= 12; months++) {
    const anchor = addMonthsClamped(end, -months);
    if (addMonthsClamped(anchor, months) === end) return anchor;
  }
  throw new RangeError('unreachable: every day of month recurs within 12 months');
}
