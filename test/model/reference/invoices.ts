// The invoices of the reference model (SPEC section 5, README "Billing
// rules"): what each one bills, line by line, and its status. Descriptions,
// numbers and instants are the service's to choose; kinds, quantities,
// amounts, tax, totals and statuses follow from the rules.
import { MIN_CHARGE_CENTS, TAX_BPS } from './catalog';
import { taxOf } from './money';

export type InvoiceKind = 'renewal' | 'upgrade' | 'credit_purchase' | 'final';
export type InvoiceStatus = 'open' | 'paid' | 'payment_failed' | 'void';
export type LineKind = 'base_fee' | 'upgrade_proration' | 'credit_purchase' | 'overage' | 'carried_forward';

export interface InvoiceLine {
  kind: LineKind;
  quantity: number;
  unitAmountCents: number;
  amountCents: number;
}

/** An invoice as the model predicts it; `carries` is the earlier open invoice whose total it bills. */
export interface ModelInvoice {
  kind: InvoiceKind;
  lines: InvoiceLine[];
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  status: InvoiceStatus;
  carries: ModelInvoice | null;
}

export const line = (kind: LineKind, quantity: number, unitAmountCents: number): InvoiceLine => ({
  kind,
  quantity,
  unitAmountCents,
  amountCents: quantity * unitAmountCents,
});

/**
 * A new invoice of `lines` (taxed) that also bills `carried`, an open invoice
 * below the minimum charge (its total already taxed). A zero total is settled
 * at once (paid, never charged); any other stays open until its charge.
 */
export function issue(kind: InvoiceKind, lines: InvoiceLine[], carried: ModelInvoice | null): ModelInvoice {
  const subtotalCents = lines.reduce((s, l) => s + l.amountCents, 0);
  const taxCents = taxOf(subtotalCents, TAX_BPS);
  const all = carried ? [...lines, line('carried_forward', 1, carried.totalCents)] : lines;
  const totalCents = subtotalCents + taxCents + (carried?.totalCents ?? 0);
  return { kind, lines: all, subtotalCents, taxCents, totalCents, status: totalCents === 0 ? 'paid' : 'open', carries: carried };
}

export const belowMinimum = (inv: ModelInvoice) => inv.totalCents > 0 && inv.totalCents < MIN_CHARGE_CENTS;

/** Paying an invoice pays every invoice it carried, down the chain. */
export function markPaid(inv: ModelInvoice): void {
  for (let c: ModelInvoice | null = inv; c; c = c.carries) c.status = 'paid';
}

/** What is compared with the service's invoice (oldest first). */
export function invoiceView(inv: ModelInvoice) {
  const { carries: _carries, ...shown } = inv;
  return shown;
}
