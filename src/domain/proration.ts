// Upgrade proration (SPEC rule 5): the price difference for the rest of the
// current term, counted in whole days. The day the upgrade happens counts as a
// remaining day (the customer gets the new allocation that day), so an upgrade
// on the first day of a term costs the full difference and one on the last
// day costs 1/termDays of it. Amount rounded half-up to the cent.
import { assertNonNegativeInt, divideRoundHalfUp, safeMultiply } from './money';
import type { Instant } from './terms';

export const DAY_MS = 86_400_000;

export interface UpgradeProrationInput {
  fromPriceCents: number;
  toPriceCents: number;
  termStart: Instant;
  termEnd: Instant;
  /** When the upgrade takes effect; must lie inside [termStart, termEnd). */
  at: Instant;
}

export interface UpgradeProration {
  amountCents: number;
  /** Monthly price difference being prorated. */
  differenceCents: number;
  /** Days from the upgrade's day to the term end, the upgrade's day included. */
  remainingDays: number;
  termDays: number;
}

export function prorateUpgrade(input: UpgradeProrationInput): UpgradeProration {
  const { fromPriceCents, toPriceCents, termStart, termEnd, at } = input;
  assertNonNegativeInt(fromPriceCents, 'fromPriceCents');
  assertNonNegativeInt(toPriceCents, 'toPriceCents');
  if (toPriceCents <= fromPriceCents) {
    throw new RangeError(`an upgrade needs a higher price (from ${fromPriceCents} to ${toPriceCents} cents)`);
  }
  const length = termEnd - termStart;
  // Term boundaries keep the anchor's time of day in UTC, so a term is a whole number of days.
  if (!Number.isSafeInteger(length) || length <= 0 || length % DAY_MS !== 0) {
    throw new RangeError(`a term must last a whole number of days (got ${length} ms)`);
  }
  if (!(at >= termStart && at < termEnd)) throw new RangeError('the upgrade instant must lie inside the term');
  const termDays = length / DAY_MS;
  const remainingDays = termDays - Math.floor((at - termStart) / DAY_MS);
  const differenceCents = toPriceCents - fromPriceCents;
  const amountCents = divideRoundHalfUp(safeMultiply(differenceCents, remainingDays), termDays);
  return { amountCents, differenceCents, remainingDays, termDays };
}
