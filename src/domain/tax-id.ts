// Customers' tax IDs (VAT numbers and their equivalents), checked per country
// with stdnum (format and check digits) and kept in one spelling. Not
// imported by workflow code: a library update that changed what is valid
// must never change how a recorded sign-up replays.
import { entityValidators, euVat, stdnum } from 'stdnum';
import { CodedError } from './failure-codes';

interface Validator {
  name: string;
  abbreviation?: string;
  validate(value: string): { isValid: boolean; compact?: string; error?: { name: string } };
}

/**
 * Countries whose business customers are identified by a VAT ID written with
 * the country's prefix (VIES spelling: Greece is EL): the EU's member states
 * (their B2B invoices must show it) and the United Kingdom.
 */
const EU_MEMBER_STATES = [
  'AT', 'BE', 'BG', 'CY', 'CZ', 'DE', 'DK', 'EE', 'ES', 'FI', 'FR', 'GR', 'HR', 'HU',
  'IE', 'IT', 'LT', 'LU', 'LV', 'MT', 'NL', 'PL', 'PT', 'RO', 'SE', 'SI', 'SK',
] as const;

const vatValidators: Record<string, Validator> = {
  ...Object.fromEntries(EU_MEMBER_STATES.map((c) => [c, (euVat as Record<string, Validator[]>)[c]![0]!])),
  GB: stdnum.GB!.vat as Validator,
};

const vatPrefix = (country: string) => (country === 'GR' ? 'EL' : country);
const VAT_PREFIXES = Object.keys(vatValidators).map(vatPrefix);

export const isEuMemberState = (country: string): boolean => (EU_MEMBER_STATES as readonly string[]).includes(country);

/**
 * What a tax ID is called on an invoice: "VAT ID" for a VAT registration (the
 * billing country's kind, or for the seller's configured ID, a VAT prefix
 * followed by a digit), else "Tax ID".
 */
export function taxIdLabel(taxId: string, country?: string): 'VAT ID' | 'Tax ID' {
  if (country !== undefined) return country in vatValidators ? 'VAT ID' : 'Tax ID';
  const upper = taxId.toUpperCase();
  return VAT_PREFIXES.some((p) => upper.startsWith(p) && /[0-9]/.test(upper.charAt(p.length))) ? 'VAT ID' : 'Tax ID';
}

const refuse = (field: string, message: string): never => {
  throw new CodedError('validation_failed', `${field} ${message}`);
};

const why = (error: { name: string } | undefined) =>
  ({ InvalidChecksum: 'its check digits do not match', InvalidLength: 'it has the wrong length', InvalidFormat: 'it has the wrong format' })[
    error?.name ?? ''
  ] ?? 'it does not match';

/**
 * The canonical spelling of a customer's tax ID for its billing country,
 * or a `validation_failed` refusal saying what is wrong. VAT IDs are written
 * with their country prefix and without spaces (`de 136 695 976` is
 * `DE136695976`); other countries' IDs are upper-cased without spaces. A
 * country with no known tax ID format is refused: leave the ID out there.
 */
export function normalizeTaxId(country: string, raw: string, field = 'billingAddress.taxId'): string {
  const value = raw.trim().toUpperCase().replace(/\s+/g, '');
  const vat = vatValidators[country];
  if (vat) {
    const prefix = vatPrefix(country);
    // Greek VAT IDs are written EL; GR is what people type.
    const spelled = country === 'GR' ? value.replace(/^GR/, 'EL') : value;
    const foreign = VAT_PREFIXES.find((p) => p !== prefix && spelled.startsWith(p));
    if (foreign) refuse(field, `'${raw}' is a VAT ID of ${foreign}, but the billing country is ${country}: a ${country} VAT ID starts with ${prefix}`);
    const result = vat.validate(spelled);
    if (!result.isValid || !result.compact) {
      refuse(field, `'${raw}' is not a valid ${vat.name}: ${why(result.error)} (expected ${prefix} followed by the number, e.g. from the customer's VAT registration)`);
    }
    return `${prefix}${result.compact!.replace(new RegExp(`^${prefix}`), '')}`;
  }
  const validators = (entityValidators as Record<string, Validator[] | undefined>)[country] ?? [];
  if (validators.length === 0) {
    refuse(field, `cannot be checked for ${country}: no tax ID format is known for that country; leave taxId out`);
  }
  if (!validators.some((v) => v.validate(value).isValid)) {
    const accepted = validators.map((v) => (v.abbreviation ? `${v.name} (${v.abbreviation.trim()})` : v.name)).join(', ');
    refuse(field, `'${raw}' is not a valid tax ID for ${country}; accepted: ${accepted}`);
  }
  return value;
}
