// Invoice numbers: INV-<year>-<6 digits>, gapless per calendar year (UTC).
// The sequence itself is kept in Postgres; this is only the format.
import type { Instant } from './terms';

export const INVOICE_NUMBER_PATTERN = /^INV-(\d{4})-(\d{6})$/;
export const MAX_INVOICES_PER_YEAR = 999_999;

/** The numbering year of an invoice issued at `issuedAt` (UTC). */
export const invoiceYear = (issuedAt: Instant) => new Date(issuedAt).getUTCFullYear();

export function formatInvoiceNumber(year: number, sequence: number): string {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new RangeError(`invoice year out of range: ${year}`);
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_INVOICES_PER_YEAR) {
    throw new RangeError(`invoice sequence out of range: ${sequence}`);
  }
  return `INV-${year}-${String(sequence).padStart(6, '0')}`;
}
