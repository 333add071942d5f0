import { describe, expect, it } from 'vitest';
import { checkBillingAddress } from '../../src/domain/billing-address';
import { CodedError } from '../../src/domain/failure-codes';
import { normalizeTaxId, taxIdLabel } from '../../src/domain/tax-id';

/** The refusal's code and message, or the value when there was none. */
function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CodedError) return { code: err.code, message: err.message };
    throw err;
  }
}

describe('customer tax IDs', () => {
  it.each([
    ['DE', 'DE136695976', 'DE136695976'],
    ['DE', 'de 136 695 976', 'DE136695976'], // spaces and case are spelling, not identity
    ['DE', '136695976', 'DE136695976'], // the prefix is added
    ['GR', 'EL094259216', 'EL094259216'],
    ['GR', 'GR094259216', 'EL094259216'], // Greece's VAT prefix is EL
    ['FR', 'FR40303265045', 'FR40303265045'],
    ['NL', 'NL004495445B01', 'NL004495445B01'],
    ['GB', 'GB980780684', 'GB980780684'],
    ['US', '04-2103594', '04-2103594'], // EIN
    ['CA', '123456782RT0001', '123456782RT0001'], // business number with its program account
  ])('%s %s is %s', (country, raw, canonical) => {
    expect(normalizeTaxId(country, raw)).toBe(canonical);
  });

  it.each([
    ['DE', 'DE123456789', /not a valid German VAT Number: its check digits do not match/],
    ['DE', 'DE12345678', /not a valid German VAT Number: it has the wrong length/],
    ['DE', 'FR40303265045', /is a VAT ID of FR, but the billing country is DE/],
    ['US', 'DE136695976', /not a valid tax ID for US; accepted: U\.S\. Employer Identification Number \(EIN\)/],
    ['AQ', '12345', /cannot be checked for AQ: no tax ID format is known for that country; leave taxId out/],
  ])('%s %s is refused, saying why', (country, raw, why) => {
    const refused = outcome(() => normalizeTaxId(country, raw));
    expect(refused).toMatchObject({ code: 'validation_failed' });
    expect((refused as { message: string }).message).toMatch(/^billingAddress\.taxId /);
    expect((refused as { message: string }).message).toMatch(why);
  });

  it('is labelled VAT ID where it is a VAT registration, Tax ID elsewhere', () => {
    expect(taxIdLabel('DE136695976', 'DE')).toBe('VAT ID');
    expect(taxIdLabel('GB980780684', 'GB')).toBe('VAT ID');
    expect(taxIdLabel('04-2103594', 'US')).toBe('Tax ID');
    // The seller's configured ID has no billing country: its prefix tells.
    expect(taxIdLabel('IE6388047V')).toBe('VAT ID');
    expect(taxIdLabel('12-3456789')).toBe('Tax ID');
    expect(taxIdLabel('EU372000041')).toBe('Tax ID');
  });
});

describe('billing address at the HTTP edge', () => {
  it('keeps an address without a tax ID as it is', () => {
    const address = { country: 'US', region: 'CA', city: 'San Francisco' };
    expect(checkBillingAddress(address)).toEqual(address);
  });

  it('gives the tax ID its canonical spelling', () => {
    expect(checkBillingAddress({ country: 'DE', city: 'Berlin', taxId: 'de 136695976' })).toEqual({ country: 'DE', city: 'Berlin', taxId: 'DE136695976' });
  });

  it('refuses a country code that is not ISO 3166-1', () => {
    expect(outcome(() => checkBillingAddress({ country: 'ZZ' }))).toEqual({
      code: 'validation_failed',
      message: "billingAddress.country 'ZZ' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)",
    });
  });
});
