// JSON shapes of invoices over HTTP (also the OpenAPI document). Instants are
// ISO-8601 UTC strings; money is integer cents.
import Type from 'typebox';
import type { StoredInvoice } from '../../invoices/store';

const Cents = Type.Integer({ minimum: 0 });
const Instant = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const InvoiceLineSchema = Type.Object({
  kind: Type.Union([
    Type.Literal('base_fee'),
    Type.Literal('upgrade_proration'),
    Type.Literal('credit_purchase'),
    Type.Literal('overage'),
    Type.Literal('carried_forward'), // an earlier below-minimum invoice's total, tax included, not in the subtotal
  ]),
  description: Type.String(),
  quantity: Type.Integer({ minimum: 0 }),
  unitAmountCents: Cents,
  amountCents: Cents,
  periodStart: Instant,
  periodEnd: Instant,
});

export const InvoiceSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  number: Type.String({ pattern: '^INV-[0-9]{4}-[0-9]{6}$' }),
  workspaceId: Type.String(),
  kind: Type.Union([Type.Literal('renewal'), Type.Literal('upgrade'), Type.Literal('credit_purchase'), Type.Literal('final')]),
  status: Type.Union([Type.Literal('open'), Type.Literal('paid'), Type.Literal('payment_failed'), Type.Literal('void')]),
  currency: Type.Literal('usd'),
  periodStart: Instant,
  periodEnd: Instant,
  issuedAt: Instant,
  paidAt: Nullable(Instant),
  plan: Nullable(Type.Object({ id: Type.String(), name: Type.String(), priceCents: Cents })),
  customer: Type.Object({
    name: Type.String(),
    billingEmail: Type.String(),
    billingAddress: Type.Object({
      country: Type.String(),
      region: Type.Optional(Type.String()),
      postalCode: Type.Optional(Type.String()),
      line1: Type.Optional(Type.String()),
      city: Type.Optional(Type.String()),
      taxId: Type.Optional(Type.String({ description: "the customer's VAT or tax ID when it has one" })),
    }),
  }),
  seller: Type.Object({
    name: Type.String(),
    address: Type.Array(Type.String()),
    taxId: Type.Optional(Type.String({ description: 'SELLER_TAX_ID when configured' })),
  }),
  lines: Type.Array(InvoiceLineSchema),
  subtotalCents: Cents,
  tax: Type.Object({ name: Type.String(), rateBps: Type.Integer({ minimum: 0, maximum: 10_000 }), amountCents: Cents }),
  /** Totals of earlier invoices below the minimum card charge billed here (tax included): total = subtotal + tax + this. */
  carriedForwardCents: Cents,
  totalCents: Cents,
  paymentReference: Nullable(Type.String()),
  paymentFailure: Nullable(Type.Object({ code: Type.String(), reason: Type.String() })),
  statusNote: Nullable(Type.String()),
  pdfUrl: Type.String(),
});

const iso = (ms: number) => new Date(ms).toISOString();

export function invoiceJson(inv: StoredInvoice) {
  return {
    id: inv.id,
    number: inv.number,
    workspaceId: inv.workspaceId,
    kind: inv.kind,
    status: inv.status,
    currency: inv.currency,
    periodStart: iso(inv.periodStart),
    periodEnd: iso(inv.periodEnd),
    issuedAt: iso(inv.issuedAt),
    paidAt: inv.paidAt === null ? null : iso(inv.paidAt),
    plan: inv.plan,
    customer: inv.customer,
    seller: inv.seller,
    lines: inv.lines.map((l) => ({ ...l, periodStart: iso(l.periodStart), periodEnd: iso(l.periodEnd) })),
    subtotalCents: inv.subtotalCents,
    tax: inv.tax,
    carriedForwardCents: inv.carriedForwardCents,
    totalCents: inv.totalCents,
    paymentReference: inv.paymentReference,
    paymentFailure: inv.paymentFailure,
    statusNote: inv.statusNote,
    pdfUrl: `/v1/invoices/${inv.id}/pdf`,
  };
}
