// Money of the reference model: integer cents, half-up rounding (SPEC 2, 5).

/** round(numerator / denominator) with halves rounded up, in integers (both >= 0). */
export function divHalfUp(numerator: number, denominator: number): number {
  return Math.floor((2 * numerator + denominator) / (2 * denominator));
}

/** Tax in cents on `subtotal` at `rateBps` basis points. */
export const taxOf = (subtotalCents: number, rateBps: number): number => divHalfUp(subtotalCents * rateBps, 10_000);

/**
 * Upgrade proration by whole days: the difference x remaining days / term days,
 * the day of the upgrade counted as remaining.
 */
export function prorate(differenceCents: number, termStart: number, termEnd: number, at: number, day: number): number {
  const termDays = Math.round((termEnd - termStart) / day);
  const remaining = termDays - Math.floor((at - termStart) / day);
  return divHalfUp(differenceCents * remaining, termDays);
}
