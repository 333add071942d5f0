// Totals below Stripe's $0.50 minimum card charge (README, Billing rules): the
// invoice stays open, marked carried forward; the workspace's next invoice
// picks it up (in the transaction that issues it) and bills its total on a
// `carried_forward` line; paying that invoice pays it; voiding it releases it.
import type { Pool, PoolClient } from '../db/pool';
import type { CarriedInvoice } from '../domain/invoice';

type Db = Pool | PoolClient;

const CARRY_FORWARD_NOTE = "Below Stripe's $0.50 minimum card charge: not charged; carried forward to this workspace's next invoice.";

/**
 * The workspace's below-minimum invoices no invoice has picked up yet, oldest
 * first, locked until the issuing transaction ends: exactly one invoice carries each.
 */
export async function lockInvoicesToCarry(tx: PoolClient, workspaceId: string): Promise<Array<CarriedInvoice & { id: string }>> {
  const { rows } = await tx.query<{ id: string; number: string; total_cents: string; period_start: Date; period_end: Date }>(
    `SELECT id, number, total_cents, period_start, period_end FROM invoices
     WHERE workspace_id = $1 AND carry_forward_at IS NOT NULL AND carried_into IS NULL AND status = 'open'
     ORDER BY issued_at, number
     FOR UPDATE`,
    [workspaceId],
  );
  return rows.map((r) => ({
    id: r.id,
    number: r.number,
    totalCents: Number(r.total_cents),
    periodStart: r.period_start.getTime(),
    periodEnd: r.period_end.getTime(),
  }));
}

export async function markCarriedInto(tx: PoolClient, carried: Array<{ id: string }>, into: { id: string; number: string }): Promise<void> {
  if (carried.length === 0) return;
  await tx.query(
    `UPDATE invoices SET carried_into = $2, status_note = $3, updated_at = now() WHERE id = ANY($1::uuid[])`,
    [carried.map((c) => c.id), into.id, `Below Stripe's $0.50 minimum card charge: not charged; carried forward to ${into.number}.`],
  );
}

/**
 * A total below the minimum card charge is not charged: the invoice stays
 * open, marked carried forward, and the workspace's next invoice bills it.
 * Repeats change nothing.
 */
export async function carryForward(db: Db, invoiceId: string): Promise<void> {
  await db.query(
    `UPDATE invoices SET carry_forward_at = now(), status_note = $2, updated_at = now()
     WHERE id = $1 AND status IN ('open', 'payment_failed') AND carry_forward_at IS NULL`,
    [invoiceId, CARRY_FORWARD_NOTE],
  );
}

/** Marks paid the invoices carried into `invoiceId` (and into those) once it is paid; repeats change nothing. */
export async function payCarriedInvoices(db: Db, invoiceId: string): Promise<void> {
  await db.query(
    `WITH RECURSIVE carried (id, via, paid_at) AS (
       SELECT c.id, p.number, p.paid_at FROM invoices c JOIN invoices p ON p.id = c.carried_into
       WHERE p.id = $1 AND p.status = 'paid'
       UNION ALL
       SELECT c.id, carried.via, carried.paid_at FROM invoices c JOIN carried ON c.carried_into = carried.id
     )
     UPDATE invoices i SET status = 'paid', paid_at = carried.paid_at, updated_at = now(),
       status_note = 'Below Stripe''s $0.50 minimum card charge: carried forward and paid with ' || carried.via || '.'
     FROM carried WHERE i.id = carried.id AND i.status <> 'paid'`,
    [invoiceId],
  );
}

/** The invoices carried into a voided invoice wait for the workspace's next one. */
export async function releaseCarriedInvoices(tx: PoolClient, invoiceId: string): Promise<void> {
  await tx.query(
    `UPDATE invoices SET carried_into = NULL, status_note = $2, updated_at = now() WHERE carried_into = $1 AND status = 'open'`,
    [invoiceId, CARRY_FORWARD_NOTE],
  );
}

/** Invoices carried into this one whose stored PDF does not show their current status. */
export async function carriedWithStalePdf(db: Db, invoiceId: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM invoices WHERE carried_into = $1 AND pdf_status IS DISTINCT FROM status ORDER BY issued_at, number`,
    [invoiceId],
  );
  return rows.map((r) => r.id);
}
