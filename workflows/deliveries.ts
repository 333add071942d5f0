// Invoice PDFs rendered and delivered off the critical path: a renewal
// (RENEWAL_ONE_TRANSACTION) notes the invoice in the state it hands to the
// next run, which renders and delivers it first thing, as a local activity in
// its first workflow task; a sign-up (SIGNUP_LOCAL_ACTIVITIES) notes it for
// the main loop, which delivers it once the create is answered. finalizeInvoice is idempotent
// (same file, one event per invoice and status), so a retry is harmless.
import type { InvoiceSummary } from '../src/domain/invoice';
import type { ActivityCall } from './activity-calls';
import type { BillingContext } from './billing-context';

export function deliverInNextRun(b: BillingContext, invoice: InvoiceSummary): void {
  const list = (b.s.undelivered ??= []);
  if (!list.some((d) => d.invoiceId === invoice.id)) list.push({ invoiceId: invoice.id, number: invoice.number });
}

/**
 * Renders and delivers what is left, oldest first; each leaves the list once
 * delivered. `via`: local activities at the start of a run; regular ones
 * right after a sign-up, so the workflow task answering the create does not
 * wait for the PDF.
 */
export async function deliverLeftovers(b: BillingContext, via: ActivityCall): Promise<void> {
  const list = b.s.undelivered ?? [];
  while (list.length > 0) {
    const { invoiceId, number } = list[0]!;
    await via(`Render and deliver ${number}`).finalizeInvoice({ invoiceId });
    list.shift();
  }
}
