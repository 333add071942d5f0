import { describe, expect, it } from 'vitest';
import { addressLines, countryName } from '../../src/invoices/postal-address';

describe('postal addresses on invoices', () => {
  it('writes a German address postcode first, then the country name', () => {
    expect(addressLines({ country: 'DE', line1: 'Invalidenstraße 117', postalCode: '10115', city: 'Berlin' })).toEqual([
      'Invalidenstraße 117',
      '10115 Berlin',
      'Germany',
    ]);
  });

  it('writes a US address city, state and ZIP on one line', () => {
    expect(addressLines({ country: 'US', region: 'CA', line1: '1 Market Street', postalCode: '94105', city: 'San Francisco' })).toEqual([
      '1 Market Street',
      'San Francisco, CA 94105',
      'United States',
    ]);
  });

  it('follows other countries too', () => {
    expect(addressLines({ country: 'GB', line1: '10 Downing Street', postalCode: 'SW1A 2AA', city: 'London' })).toEqual([
      '10 Downing Street',
      'London',
      'SW1A 2AA',
      'United Kingdom',
    ]);
    expect(addressLines({ country: 'CA', region: 'ON', line1: '100 Queen St W', postalCode: 'M5H 2N2', city: 'Toronto' })).toEqual([
      '100 Queen St W',
      'Toronto, ON M5H 2N2',
      'Canada',
    ]);
  });

  it('prints the country name alone when that is all there is', () => {
    expect(addressLines({ country: 'US' })).toEqual(['United States']);
  });

  it('names countries in plain English', () => {
    expect(countryName('de')).toBe('Germany');
    expect(countryName('TW')).toBe('Taiwan');
  });
});
