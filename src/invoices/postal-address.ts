// Postal addresses as the customer's country writes them (OpenCage's
// address-formatting templates via @fragaria/address-formatter), ending with
// the country's English name (i18n-iso-countries): "10115 Berlin" then
// "Germany"; "San Francisco, CA 94105" then "United States".
import addressFormatter from '@fragaria/address-formatter';
import countries from 'i18n-iso-countries';
import english from 'i18n-iso-countries/langs/en.json';
import type { BillingAddress } from '../domain/tax';

countries.registerLocale(english);

/** Where the ISO list's official English name is not the one an address uses. */
const ADDRESS_NAMES: Record<string, string> = { US: 'United States' };

/** The country's English name for an address; the code itself when it is unknown. */
export function countryName(code: string): string {
  const upper = code.trim().toUpperCase();
  if (ADDRESS_NAMES[upper]) return ADDRESS_NAMES[upper];
  // Names like "Taiwan, Province of China" have a plain alias ("Taiwan").
  const names = countries.getName(upper, 'en', { select: 'all' }) ?? [];
  return names.find((n) => !n.includes(',')) ?? names[0] ?? upper;
}

/** The address lines in the country's order, the country's name last. */
export function addressLines(a: BillingAddress): string[] {
  const lines = addressFormatter.format(
    {
      road: a.line1?.trim(),
      city: a.city?.trim(),
      postcode: a.postalCode?.trim(),
      state: a.region?.trim(),
      countryCode: a.country.trim().toUpperCase(),
    },
    { output: 'array' },
  );
  const code = a.country.trim().toUpperCase();
  // With no other part, the templates print the bare code: the name stands alone.
  return [...lines.map((l) => l.trim()).filter((l) => l && l !== code), countryName(code)];
}
