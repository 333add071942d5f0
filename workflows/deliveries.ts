// Invoice PDFs rendered and delivered off the renewal's critical path
// (RENEWAL_ONE_TRANSACTION): the renewal notes the invoice in the state it
// hands to the next run, which renders and delivers it first thing, as a
// local activity in its first workflow task. finalizeInvoice is idempotent
// (same file, one event per invoice and status), so a retry is harmless.
import type { InvoiceSummary } from '../src/domain/invoice';
import type { BillingContext } from './billing-context';

export function deliverInNextRun(b: BillingContext, invoice: InvoiceSummary): void {
  const list = (b.s.undelivered ??= []);
  if (!list.some((d) => d.invoiceId === invoice.id)) list.push({ invoiceId: invoice.id, number: invoice.number });
}

/** Renders and delivers what an earlier run left, oldest first; each leaves the list once delivered. */
export async function deliverLeftovers(b: BillingContext): Promise<void> {
  const list = b.s.undelivered ?? [];
  while (list.length > 0) {
    const { invoiceId, number } = list[0]!;
    await b.local(`Render and deliver ${number}`).finalizeInvoice({ invoiceId });
    list.shift();
  }
}
