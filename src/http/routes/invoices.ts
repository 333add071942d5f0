// Invoice reads (SPEC section 7): a workspace's invoices, one invoice, its PDF.
// Reads never need credits and work for the read-only token.
import Type from 'typebox';
import type { Pool } from '../../db/pool';
import { renderInvoicePdf } from '../../invoices/pdf';
import { INVOICE_NUMBER_PATTERN } from '../../domain/invoice-number';
import { getInvoice, getInvoiceByNumber, listInvoices, loadPdf } from '../../invoices/store';
import { IS_CREATED_WORKSPACE } from '../../ledger/created-workspace';
import type { App } from '../app';
import { notFound } from '../errors';
import { InvoiceSchema, invoiceJson } from './invoice-schemas';

export interface InvoiceRoutesDeps {
  pool: Pool;
}

const WorkspaceParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' }) });
// An invoice by its id or by the number printed on it (what finance and ops quote).
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const InvoiceParams = Type.Object({
  id: Type.String({
    pattern: `^(${UUID}|INV-[0-9]{4}-[0-9]{6})$`,
    description: 'the invoice id (a uuid) or its number, INV-<year>-<6 digits>',
    examples: ['INV-2026-000004'],
  }),
});
const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) },
  { additionalProperties: false },
);

const findInvoice = (pool: Pool, idOrNumber: string) =>
  INVOICE_NUMBER_PATTERN.test(idOrNumber) ? getInvoiceByNumber(pool, idOrNumber) : getInvoice(pool, idOrNumber);

export function invoiceRoutes(deps: InvoiceRoutesDeps) {
  return (app: App) => {
    app.get(
      '/v1/workspaces/:id/invoices',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['invoices'],
          operationId: 'listInvoices',
          summary: "A workspace's invoices, newest first",
          params: WorkspaceParams,
          querystring: ListQuery,
          response: { 200: Type.Object({ invoices: Type.Array(InvoiceSchema) }, { description: 'The invoices, newest first' }) },
        },
      },
      async (req) => {
        const { rowCount } = await deps.pool.query(`SELECT 1 FROM workspaces WHERE id = $1 AND ${IS_CREATED_WORKSPACE}`, [req.params.id]);
        if (!rowCount) throw notFound(`workspace '${req.params.id}'`);
        const invoices = await listInvoices(deps.pool, req.params.id, req.query.limit ?? 100);
        return { invoices: invoices.map(invoiceJson) };
      },
    );

    app.get(
      '/v1/invoices/:id',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['invoices'],
          operationId: 'getInvoice',
          summary: 'One invoice with its lines',
          params: InvoiceParams,
          response: { 200: { ...InvoiceSchema, description: 'The invoice' } },
        },
      },
      async (req) => {
        const invoice = await findInvoice(deps.pool, req.params.id);
        if (!invoice) throw notFound(`invoice ${req.params.id}`);
        return invoiceJson(invoice);
      },
    );

    app.get(
      '/v1/invoices/:id/pdf',
      {
        config: { refusals: ['not_found'] },
        schema: {
          tags: ['invoices'],
          operationId: 'getInvoicePdf',
          summary: 'The invoice PDF (application/pdf)',
          params: InvoiceParams,
          response: {
            200: {
              description: 'The invoice as a PDF document',
              content: { 'application/pdf': { schema: Type.String({ format: 'binary', contentMediaType: 'application/pdf' }) } },
            },
          },
        },
      },
      async (req, reply) => {
        const invoice = await findInvoice(deps.pool, req.params.id);
        if (!invoice) throw notFound(`invoice ${req.params.id}`);
        // The stored PDF when it shows the current status; otherwise (not finalized yet, or
        // paid since) a fresh render of the same document, so a read never waits for delivery.
        const stored = await loadPdf(deps.pool, invoice.id);
        const pdf = stored && stored.status === invoice.status ? stored.pdf : await renderInvoicePdf(invoice);
        return reply
          .header('content-type', 'application/pdf')
          .header('content-disposition', `inline; filename="${invoice.number}.pdf"`)
          .header('cache-control', 'private, no-cache')
          .send(pdf as never);
      },
    );
  };
}
