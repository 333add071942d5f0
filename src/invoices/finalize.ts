// Finance delivery (SPEC section 5): the PDF as the invoice now stands is
// stored with it, written to the finance outbox directory as <number>.pdf, and
// announced with an `invoice.finalized` event in the shared outbox table.
// Re-running is harmless: same file, same event (one per invoice and status).
import { inTransaction, type Pool } from '../db/pool';
import type { InvoiceStatus } from '../domain/invoice';
import { writeFileAtomically } from './atomic-file';
import { renderInvoicePdf } from './pdf';
import { carriedWithStalePdf } from './carry-forward';
import { requireInvoice, storePdf, type StoredInvoice } from './store';

export interface FinalizedInvoice {
  invoiceId: string;
  number: string;
  status: InvoiceStatus;
  /** Absolute path of the delivered PDF. */
  file: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function invoiceFinalizedPayload(inv: StoredInvoice, fileName: string) {
  return {
    invoiceId: inv.id,
    number: inv.number,
    workspaceId: inv.workspaceId,
    kind: inv.kind,
    status: inv.status,
    currency: inv.currency,
    subtotalCents: inv.subtotalCents,
    taxCents: inv.tax.amountCents,
    taxRateBps: inv.tax.rateBps,
    carriedForwardCents: inv.carriedForwardCents,
    totalCents: inv.totalCents,
    periodStart: iso(inv.periodStart),
    periodEnd: iso(inv.periodEnd),
    issuedAt: iso(inv.issuedAt),
    paidAt: iso(inv.paidAt),
    paymentReference: inv.paymentReference,
    pdfFile: fileName,
    pdfUrl: `/v1/invoices/${inv.id}/pdf`,
  };
}

/**
 * Renders and delivers the invoice as it now stands; then the below-minimum
 * invoices carried into it whose status changed with it (paid along with it).
 */
export async function finalizeInvoice(pool: Pool, outboxDir: string, invoiceId: string): Promise<FinalizedInvoice> {
  const finalized = await finalizeOne(pool, outboxDir, invoiceId);
  for (const carriedId of await carriedWithStalePdf(pool, invoiceId)) await finalizeInvoice(pool, outboxDir, carriedId);
  return finalized;
}

async function finalizeOne(pool: Pool, outboxDir: string, invoiceId: string): Promise<FinalizedInvoice> {
  const invoice = await requireInvoice(pool, invoiceId);
  const pdf = await renderInvoicePdf(invoice);
  const fileName = `${invoice.number}.pdf`;
  // The file first, then the event: whoever reacts to the event finds the file.
  const file = await writeFileAtomically(outboxDir, fileName, pdf);
  await inTransaction(pool, async (tx) => {
    await storePdf(tx, invoice.id, pdf, invoice.status);
    await tx.query(
      `INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
       VALUES ($1, 'invoice.finalized', $2, $3)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [invoice.workspaceId, JSON.stringify(invoiceFinalizedPayload(invoice, fileName)), `invoice.finalized:${invoice.id}:${invoice.status}`],
    );
  });
  return { invoiceId: invoice.id, number: invoice.number, status: invoice.status, file };
}
