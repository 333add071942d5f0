// The checks a billing address gets at the HTTP edge beyond its schema: a
// real ISO 3166-1 country, and a tax ID valid for that country, in its
// canonical spelling. Not imported by workflow code (see tax-id.ts).
import countries from 'i18n-iso-countries';
import { CodedError } from './failure-codes';
import type { BillingAddress } from './tax';
import { normalizeTaxId } from './tax-id';

/** Every ISO 3166-1 alpha-2 code, sorted: the billing countries the API accepts. */
export const COUNTRY_CODES: readonly string[] = Object.keys(countries.getAlpha2Codes()).sort();

/** The address as the workflow receives it: the country checked, the tax ID canonical; or a `validation_failed` refusal. */
export function checkBillingAddress(address: BillingAddress): BillingAddress {
  if (!/^[A-Z]{2}$/.test(address.country) || !countries.isValid(address.country)) {
    throw new CodedError('validation_failed', `billingAddress.country '${address.country}' is not an ISO 3166-1 alpha-2 country code (e.g. US, DE)`);
  }
  if (address.taxId === undefined) return address;
  return { ...address, taxId: normalizeTaxId(address.country, address.taxId) };
}
