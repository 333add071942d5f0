// Sales tax / VAT by billing address (SPEC section 2): rate from the config
// table, by country and (for the US and Canada) region; unknown -> 0%.
import { divideRoundHalfUp, safeMultiply } from './money';
import type { TaxRate } from './pricing';

export interface BillingAddress {
  /** ISO 3166-1 alpha-2 country code. */
  country: string;
  /** State or province code (US, CA). */
  region?: string;
  postalCode?: string;
  line1?: string;
  city?: string;
  /** The customer's VAT or tax ID, canonical for `country` (src/domain/tax-id.ts); absent for consumers. */
  taxId?: string;
}

export interface AppliedTaxRate {
  rateBps: number;
  /** Label printed on the invoice ("CA sales tax 7.25%", "No tax"). */
  name: string;
}

export const NO_TAX: AppliedTaxRate = { rateBps: 0, name: 'No tax' };

/** A region-specific row wins over a country-wide row; no row at all means 0%. */
export function taxRateFor(address: Pick<BillingAddress, 'country' | 'region'>, table: readonly TaxRate[]): AppliedTaxRate {
  const country = address.country.trim().toUpperCase();
  const region = address.region?.trim().toUpperCase();
  const regional = region ? table.find((r) => r.country === country && r.region?.toUpperCase() === region) : undefined;
  const national = table.find((r) => r.country === country && r.region === undefined);
  const row = regional ?? national;
  return row ? { rateBps: row.rateBps, name: row.name } : NO_TAX;
}

/** Tax on a subtotal, rounded half-up to the cent (integers only). */
export function taxCents(subtotalCents: number, rateBps: number): number {
  return divideRoundHalfUp(safeMultiply(subtotalCents, rateBps), 10_000);
}
