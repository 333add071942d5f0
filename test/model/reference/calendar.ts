// Term arithmetic of the reference model (SPEC section 3), written from the
// rule, not from src/domain: term n runs from anchor + n months to
// anchor + (n+1) months, the anchor's day of month clamped to the month's end.
export const DAY = 86_400_000;

/** `anchor` + `months` calendar months (UTC), the day clamped, the time of day kept. */
export function plusMonths(anchor: number, months: number): number {
  const a = new Date(anchor);
  const y = a.getUTCFullYear();
  const m = a.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  const day = Math.min(a.getUTCDate(), lastDay);
  return Date.UTC(y, m, day, a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
}

export function termBounds(anchor: number, n: number): { start: number; end: number } {
  return { start: plusMonths(anchor, n), end: plusMonths(anchor, n + 1) };
}
