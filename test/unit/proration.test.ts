import { describe, expect, it } from 'vitest';
import { DAY_MS, prorateUpgrade } from '../../src/domain/proration';

const utc = (iso: string) => Date.parse(iso);
const HOUR = 3_600_000;

// Terms keep the anchor's time of day (09:30 UTC here).
const terms = {
  28: { start: utc('2025-02-01T09:30:00Z'), end: utc('2025-03-01T09:30:00Z') },
  30: { start: utc('2025-04-01T09:30:00Z'), end: utc('2025-05-01T09:30:00Z') },
  31: { start: utc('2025-01-01T09:30:00Z'), end: utc('2025-02-01T09:30:00Z') },
} as const;

/** An instant on day `day` (1-based) of the term, a few hours in. */
const onDay = (len: 28 | 30 | 31, day: number) => terms[len].start + (day - 1) * DAY_MS + 5 * HOUR;

describe('upgrade proration by whole days, the upgrade day included (SPEC rule 5)', () => {
  it.each([
    // term days, day of term, from, to, remaining days, amount (half-up)
    [28, 1, 2900, 24900, 28, 22000],
    [28, 15, 2900, 24900, 14, 11000],
    [28, 28, 2900, 24900, 1, 786], // 22000/28 = 785.71
    [30, 1, 2900, 24900, 30, 22000],
    [30, 15, 2900, 24900, 16, 11733], // 11733.33
    [30, 30, 2900, 24900, 1, 733], // 733.33
    [31, 1, 2900, 24900, 31, 22000],
    [31, 15, 2900, 24900, 17, 12065], // 12064.52
    [31, 31, 2900, 24900, 1, 710], // 709.68
    [28, 1, 0, 2900, 28, 2900],
    [28, 15, 0, 2900, 14, 1450],
    [28, 28, 0, 2900, 1, 104], // 103.57
    [30, 15, 0, 2900, 16, 1547], // 1546.67
    [30, 30, 0, 2900, 1, 97], // 96.67
    [31, 15, 0, 2900, 17, 1590], // 1590.32
    [31, 31, 0, 2900, 1, 94], // 93.55
    [28, 28, 0, 14, 1, 1], // exactly 0.5 rounds up
    [28, 28, 0, 13, 1, 0], // 0.46 rounds down
  ] as const)('%i-day term, day %i, %i -> %i cents: %i days left, %i cents', (len, day, from, to, remaining, amount) => {
    const t = terms[len];
    const p = prorateUpgrade({ fromPriceCents: from, toPriceCents: to, termStart: t.start, termEnd: t.end, at: onDay(len, day) });
    expect(p).toEqual({ amountCents: amount, differenceCents: to - from, remainingDays: remaining, termDays: len });
  });

  it('counts the first and the last millisecond of a day as that day', () => {
    const t = terms[30];
    const base = { fromPriceCents: 2900, toPriceCents: 24900, termStart: t.start, termEnd: t.end };
    expect(prorateUpgrade({ ...base, at: t.start }).remainingDays).toBe(30);
    expect(prorateUpgrade({ ...base, at: t.start + DAY_MS - 1 }).remainingDays).toBe(30);
    expect(prorateUpgrade({ ...base, at: t.start + DAY_MS }).remainingDays).toBe(29);
    expect(prorateUpgrade({ ...base, at: t.end - 1 }).remainingDays).toBe(1);
  });

  it.each([
    ['a lower price', { fromPriceCents: 24900, toPriceCents: 2900, at: terms[30].start }, /higher price/],
    ['the same price', { fromPriceCents: 2900, toPriceCents: 2900, at: terms[30].start }, /higher price/],
    ['an instant at the term end', { fromPriceCents: 0, toPriceCents: 2900, at: terms[30].end }, /inside the term/],
    ['an instant before the term', { fromPriceCents: 0, toPriceCents: 2900, at: terms[30].start - 1 }, /inside the term/],
    ['a fractional price', { fromPriceCents: 0, toPriceCents: 29.5, at: terms[30].start }, /integer/],
  ])('rejects %s', (_name, args, message) => {
    expect(() => prorateUpgrade({ termStart: terms[30].start, termEnd: terms[30].end, ...args })).toThrow(message);
  });

  it('rejects a term that is not a whole number of days', () => {
    const t = terms[30];
    expect(() => prorateUpgrade({ fromPriceCents: 0, toPriceCents: 1, termStart: t.start, termEnd: t.end + 1, at: t.start })).toThrow(
      /whole number of days/,
    );
  });
});
