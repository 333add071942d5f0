// Finance delivery (SPEC section 5): the PDF as the invoice now stands is
// stored with it, written to the finance outbox directory as <number>.pdf, and
// announced with an event in the shared outbox table: `invoice.finalized`, or
// `invoice.voided` for a sale that did not happen (finance gets every number
// of the gapless series). Re-running is harmless: same file, same event (one
// per invoice and status).
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

/** Where finance finds the PDFs: the outbox folder, and the API's public address for `pdfUrl`. */
export interface InvoiceDelivery {
  outboxDir: string;
  /** Absolute, without a trailing slash (PUBLIC_BASE_URL). */
  publicBaseUrl: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export type InvoiceEventType = 'invoice.finalized' | 'invoice.voided';

export const invoiceEventType = (status: InvoiceStatus): InvoiceEventType => (status === 'void' ? 'invoice.voided' : 'invoice.finalized');

export function invoiceEventPayload(inv: StoredInvoice, fileName: string, publicBaseUrl: string) {
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
    /** Why the invoice was voided (or what else its status note says); null when nothing. */
    statusNote: inv.statusNote,
    pdfFile: fileName,
    pdfUrl: `${publicBaseUrl}/v1/invoices/${inv.id}/pdf`,
  };
}

/**
 * Renders and delivers the invoice as it now stands; then the below-minimum
 * invoices carried into it whose status changed with it (paid along with it).
 */
export async function finalizeInvoice(pool: Pool, delivery: InvoiceDelivery, invoiceId: string): Promise<FinalizedInvoice> {
  const finalized = await finalizeOne(pool, delivery, invoiceId);
  for (const carriedId of await carriedWithStalePdf(pool, invoiceId)) await finalizeInvoice(pool, delivery, carriedId);
  return finalized;
}

async function finalizeOne(pool: Pool, delivery: InvoiceDelivery, invoiceId: string): Promise<FinalizedInvoice> {
  const invoice = await requireInvoice(pool, invoiceId);
  const pdf = await renderInvoicePdf(invoice);
  const fileName = `${invoice.number}.pdf`;
  // The file first, then the event: whoever reacts to the event finds the file.
  const file = await writeFileAtomically(delivery.outboxDir, fileName, pdf);
  const type = invoiceEventType(invoice.status);
  // One event per invoice and status, whatever its type (the key predates invoice.voided).
  const dedupeKey = `invoice.finalized:${invoice.id}:${invoice.status}`;
  await inTransaction(pool, async (tx) => {
    await storePdf(tx, invoice.id, pdf, invoice.status);
    await tx.query(
      `INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (dedupe_key) DO NOTHING`,
      [invoice.workspaceId, type, JSON.stringify(invoiceEventPayload(invoice, fileName, delivery.publicBaseUrl)), dedupeKey],
    );
  });
  return { invoiceId: invoice.id, number: invoice.number, status: invoice.status, file };
}

/**
 * Void invoices that never reached finance (voided before void invoices were
 * delivered): rendered and delivered now, in number order. Idempotent.
 */
export async function deliverUndeliveredVoidInvoices(pool: Pool, delivery: InvoiceDelivery): Promise<string[]> {
  const { rows } = await pool.query<{ id: string; number: string }>(
    `SELECT id, number FROM invoices WHERE status = 'void' AND pdf_status IS NULL ORDER BY number`,
  );
  for (const { id } of rows) await finalizeOne(pool, delivery, id);
  return rows.map((r) => r.number);
}
