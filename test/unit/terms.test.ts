import { describe, expect, it } from 'vitest';
import { addMonthsClamped, anchorWithTermEndingAt, termAt, termContaining } from '../../src/domain/terms';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe('term boundaries (SPEC 3)', () => {
  it.each([
    // anchor, n, expected start of term n
    ['2025-01-31T09:30:00.000Z', 0, '2025-01-31T09:30:00.000Z'],
    ['2025-01-31T09:30:00.000Z', 1, '2025-02-28T09:30:00.000Z'],
    ['2025-01-31T09:30:00.000Z', 2, '2025-03-31T09:30:00.000Z'],
    ['2025-01-31T09:30:00.000Z', 3, '2025-04-30T09:30:00.000Z'],
    ['2025-01-31T09:30:00.000Z', 4, '2025-05-31T09:30:00.000Z'],
    ['2024-01-31T00:00:00.000Z', 1, '2024-02-29T00:00:00.000Z'],
    ['2024-01-30T00:00:00.000Z', 1, '2024-02-29T00:00:00.000Z'],
    ['2024-01-29T00:00:00.000Z', 1, '2024-02-29T00:00:00.000Z'],
    ['2025-01-28T00:00:00.000Z', 1, '2025-02-28T00:00:00.000Z'],
    // Feb 29 anchors: clamp in common years, the 29th again in leap years
    ['2024-02-29T12:00:00.000Z', 1, '2024-03-29T12:00:00.000Z'],
    ['2024-02-29T12:00:00.000Z', 12, '2025-02-28T12:00:00.000Z'],
    ['2024-02-29T12:00:00.000Z', 48, '2028-02-29T12:00:00.000Z'],
    // Dec -> Jan year change
    ['2025-12-15T00:00:00.000Z', 1, '2026-01-15T00:00:00.000Z'],
    ['2025-12-31T23:59:59.999Z', 1, '2026-01-31T23:59:59.999Z'],
    ['2025-12-31T23:59:59.999Z', 2, '2026-02-28T23:59:59.999Z'],
    ['2025-11-30T00:00:00.000Z', 2, '2026-01-30T00:00:00.000Z'],
    // 30-day month anchors
    ['2025-04-30T00:00:00.000Z', 1, '2025-05-30T00:00:00.000Z'],
    ['2025-08-31T00:00:00.000Z', 1, '2025-09-30T00:00:00.000Z'],
    ['2025-08-31T00:00:00.000Z', 2, '2025-10-31T00:00:00.000Z'],
    // negative indices count backwards from the anchor
    ['2025-03-31T00:00:00.000Z', -1, '2025-02-28T00:00:00.000Z'],
  ])('anchor %s, term %i starts %s', (anchor, n, expected) => {
    expect(iso(addMonthsClamped(utc(anchor), n))).toBe(expected);
  });

  it('term n ends where term n+1 starts', () => {
    const anchor = utc('2025-01-31T00:00:00.000Z');
    for (let n = 0; n < 24; n++) expect(termAt(anchor, n).end).toBe(termAt(anchor, n + 1).start);
  });

  it.each(['2025-01-31T00:00:00.000Z', '2024-02-29T06:00:00.000Z', '2025-08-31T23:59:59.000Z', '2025-01-15T10:00:00.000Z'])(
    '1,000 consecutive terms from %s never drift',
    (anchorIso) => {
      const anchor = utc(anchorIso);
      const a = new Date(anchor);
      let prevEnd = anchor;
      for (let n = 0; n < 1000; n++) {
        const term = termAt(anchor, n);
        expect(term.start).toBe(prevEnd);
        expect(term.end).toBeGreaterThan(term.start);
        const s = new Date(term.start);
        const lastDay = new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 0)).getUTCDate();
        expect(s.getUTCDate()).toBe(Math.min(a.getUTCDate(), lastDay));
        expect(s.getUTCHours() * 3600 + s.getUTCMinutes() * 60 + s.getUTCSeconds()).toBe(
          a.getUTCHours() * 3600 + a.getUTCMinutes() * 60 + a.getUTCSeconds(),
        );
        const monthsApart = (s.getUTCFullYear() - a.getUTCFullYear()) * 12 + s.getUTCMonth() - a.getUTCMonth();
        expect(monthsApart).toBe(n);
        prevEnd = term.end;
      }
    },
  );

  it.each([
    ['2025-01-31T00:00:00.000Z', '2025-01-31T00:00:00.000Z', 0],
    ['2025-01-31T00:00:00.000Z', '2025-02-27T23:59:59.999Z', 0],
    ['2025-01-31T00:00:00.000Z', '2025-02-28T00:00:00.000Z', 1],
    ['2025-01-31T00:00:00.000Z', '2025-03-30T00:00:00.000Z', 1],
    ['2025-01-31T00:00:00.000Z', '2025-03-31T00:00:00.000Z', 2],
    ['2025-01-31T00:00:00.000Z', '2026-01-30T00:00:00.000Z', 11],
    ['2025-01-15T12:00:00.000Z', '2025-02-15T11:59:59.999Z', 0],
    ['2025-01-15T12:00:00.000Z', '2025-02-15T12:00:00.000Z', 1],
  ])('anchor %s: %s is in term %i', (anchor, at, n) => {
    const term = termContaining(utc(anchor), utc(at));
    expect(term.index).toBe(n);
    expect(term.start).toBeLessThanOrEqual(utc(at));
    expect(term.end).toBeGreaterThan(utc(at));
  });

  it('rejects instants before the anchor and fractional months', () => {
    expect(() => termContaining(utc('2025-01-31T00:00:00Z'), utc('2025-01-30T00:00:00Z'))).toThrow(RangeError);
    expect(() => addMonthsClamped(0, 1.5)).toThrow(RangeError);
  });
});

describe('anchorWithTermEndingAt (an imported subscription renewing at a chosen instant)', () => {
  it.each([
    ['2026-11-21T12:00:30.250Z', '2026-10-21T12:00:30.250Z'],
    ['2027-05-31T08:00:00Z', '2027-03-31T08:00:00Z'], // Apr 30 + 1 month is May 30
    ['2027-03-30T08:00:00Z', '2027-01-30T08:00:00Z'], // Feb 28 + 1 month is Mar 28
    ['2028-03-29T08:00:00Z', '2028-02-29T08:00:00Z'], // leap year
    ['2027-03-31T23:59:59.999Z', '2027-01-31T23:59:59.999Z'],
    ['2027-01-01T00:00:00Z', '2026-12-01T00:00:00Z'],
  ])('a term of the anchor for %s ends exactly then', (end, anchor) => {
    const a = anchorWithTermEndingAt(Date.parse(end));
    expect(new Date(a).toISOString()).toBe(new Date(anchor).toISOString());
    const justBefore = Date.parse(end) - 1;
    expect(termContaining(a, justBefore).end).toBe(Date.parse(end));
  });

  it('works for instants spread over a common and a leap year, every day of every month', () => {
    for (let t = Date.parse('2027-01-01T00:00:00Z'); t < Date.parse('2029-01-01T00:00:00Z'); t += 86_400_000 + 61_000) {
      const a = anchorWithTermEndingAt(t);
      expect(a).toBeLessThan(t);
      expect(termContaining(a, t - 1).end).toBe(t);
    }
  });
});
