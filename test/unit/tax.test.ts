import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { divideRoundHalfUp, formatRateBps, formatUsd } from '../../src/domain/money';
import { taxCents, taxRateFor } from '../../src/domain/tax';

const { taxRates } = loadPricing();

describe('tax on the subtotal, rounded half-up to the cent (SPEC 2)', () => {
  it.each([
    // subtotal cents, rate bps, tax cents
    [2900, 1900, 551], // 19% of $29.00 = 5.51 exactly
    [24900, 725, 1805], // 7.25% of $249.00 = 18.0525 -> 18.05
    [2900, 725, 210], // 2.1025 -> 2.10
    [200, 725, 15], // 14.5 cents -> 15 (half goes up)
    [250, 1900, 48], // 47.5 -> 48
    [2950, 1300, 384], // 383.5 -> 384
    [40, 625, 3], // 2.5 -> 3
    [24900, 625, 1556], // 1556.25 -> 1556
    [2900, 2100, 609],
    [1, 4999, 0], // 0.4999 -> 0
    [1, 5000, 1], // 0.5 -> 1
    [0, 2000, 0],
    [123_456_789, 0, 0],
  ])('%i cents at %i bps -> %i cents', (subtotal, bps, expected) => {
    expect(taxCents(subtotal, bps)).toBe(expected);
  });

  it.each([
    [{ country: 'US', region: 'CA' }, 725],
    [{ country: 'us', region: 'ca' }, 725],
    [{ country: 'US', region: 'NY' }, 400],
    [{ country: 'US', region: 'OR' }, 0], // no state row and no country-wide row
    [{ country: 'US' }, 0],
    [{ country: 'CA', region: 'ON' }, 1300], // the province row wins
    [{ country: 'CA', region: 'BC' }, 500], // falls back to the country-wide GST row
    [{ country: 'DE' }, 1900],
    [{ country: 'DE', region: 'BY' }, 1900],
    [{ country: 'JP' }, 0], // unknown country -> 0%
  ])('rate for %j is %i bps', (address, bps) => {
    expect(taxRateFor(address, taxRates).rateBps).toBe(bps);
  });

  it('names the applied rate, and says so when there is none', () => {
    expect(taxRateFor({ country: 'US', region: 'CA' }, taxRates).name).toBe('CA sales tax 7.25%');
    expect(taxRateFor({ country: 'JP' }, taxRates)).toEqual({ rateBps: 0, name: 'No tax' });
  });
});

describe('integer money helpers', () => {
  it.each([
    [0, 1, 0],
    [5, 10, 1],
    [4, 10, 0],
    [15, 10, 2],
    [14, 10, 1],
    [25, 10, 3],
  ])('%i / %i rounds half-up to %i', (n, d, q) => expect(divideRoundHalfUp(n, d)).toBe(q));

  it.each([
    [0, '$0.00'],
    [5, '$0.05'],
    [2900, '$29.00'],
    [123_456_789, '$1,234,567.89'],
    [-2900, '-$29.00'],
  ])('formats %i cents as %s', (cents, text) => expect(formatUsd(cents)).toBe(text));

  it.each([
    [1900, '19%'],
    [725, '7.25%'],
    [1250, '12.5%'],
    [0, '0%'],
  ])('formats %i bps as %s', (bps, text) => expect(formatRateBps(bps)).toBe(text));
});
