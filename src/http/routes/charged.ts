// What a sale charged, read from its invoice: the workflow answers the
// invoice id, the invoice holds the amounts (tax included) and its number.
import type { Pool } from '../../db/pool';
import { getInvoice } from '../../invoices/store';

export interface Charged {
  invoiceId: string;
  invoiceNumber: string;
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
}

export async function chargedBy(pool: Pool, invoiceId: string): Promise<Charged> {
  const invoice = await getInvoice(pool, invoiceId);
  if (!invoice) throw new Error(`invoice ${invoiceId} of a completed sale is missing`);
  return {
    invoiceId,
    invoiceNumber: invoice.number,
    subtotalCents: invoice.subtotalCents,
    taxCents: invoice.tax.amountCents,
    totalCents: invoice.totalCents,
  };
}
