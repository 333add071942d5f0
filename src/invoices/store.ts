// Postgres access for invoices: issuing (numbering + idempotency), reading,
// and status changes. Every write is idempotent.
import { inTransaction, type Pool, type PoolClient } from '../db/pool';
import {
  computeInvoice,
  invoiceFingerprint,
  type CarriedInvoice,
  type InvoiceAmounts,
  type InvoiceDocument,
  type InvoiceLine,
  type InvoiceSeller,
  type InvoiceStatus,
  type InvoiceSummary,
  type IssueInvoiceInput,
} from '../domain/invoice';
import { formatInvoiceNumber, invoiceYear, MAX_INVOICES_PER_YEAR } from '../domain/invoice-number';
import type { PricingConfig } from '../domain/pricing';
import type { BillingAddress } from '../domain/tax';
import { invoicesIssued } from '../metrics';
import { lockInvoicesToCarry, markCarriedInto, payCarriedInvoices, releaseCarriedInvoices } from './carry-forward';
import { PermanentInvoiceError } from './errors';

type Db = Pool | PoolClient;

interface InvoiceRow {
  id: string;
  number: string;
  business_key: string;
  workspace_id: string;
  kind: InvoiceDocument['kind'];
  status: InvoiceStatus;
  period_start: Date;
  period_end: Date;
  plan: string | null;
  plan_name: string | null;
  plan_price_cents: number | null;
  customer: InvoiceDocument['customer'];
  seller: InvoiceSeller;
  subtotal_cents: number;
  tax_name: string;
  tax_rate_bps: number;
  tax_cents: number;
  total_cents: number;
  issued_at: Date;
  paid_at: Date | null;
  payment_intent_id: string | null;
  payment_failure_code: string | null;
  payment_failure_reason: string | null;
  status_note: string | null;
  pdf_status: InvoiceStatus | null;
  content_fingerprint: string | null;
  carried_forward_cents: string | number;
  carried_into: string | null;
}

interface LineRow {
  kind: InvoiceLine['kind'];
  description: string;
  quantity: number;
  unit_amount_cents: number;
  amount_cents: number;
  period_start: Date;
  period_end: Date;
}

const INVOICE_COLUMNS = `id, number, business_key, workspace_id, kind, status, period_start, period_end, plan, plan_name,
  plan_price_cents, customer, seller, subtotal_cents, tax_name, tax_rate_bps, tax_cents, total_cents, issued_at,
  paid_at, payment_intent_id, payment_failure_code, payment_failure_reason, status_note, pdf_status, content_fingerprint,
  carried_forward_cents, carried_into`;

export interface StoredInvoice extends InvoiceDocument {
  businessKey: string;
  /** The status the stored PDF shows; null before the first render. */
  pdfStatus: InvoiceStatus | null;
  /** The invoice that bills this one's below-minimum total, once one was issued. */
  carriedInto: string | null;
}

const summaryOf = (r: InvoiceRow): InvoiceSummary => ({
  id: r.id,
  number: r.number,
  kind: r.kind,
  totalCents: r.total_cents,
  status: r.status,
  periodStart: r.period_start.getTime(),
  periodEnd: r.period_end.getTime(),
});

function toInvoice(r: InvoiceRow, lines: LineRow[]): StoredInvoice {
  return {
    ...summaryOf(r),
    businessKey: r.business_key,
    workspaceId: r.workspace_id,
    currency: 'usd',
    plan: r.plan === null ? null : { id: r.plan, name: r.plan_name ?? r.plan, priceCents: r.plan_price_cents ?? 0 },
    customer: r.customer,
    seller: r.seller,
    lines: lines.map((l) => ({
      kind: l.kind,
      description: l.description,
      quantity: l.quantity,
      unitAmountCents: l.unit_amount_cents,
      amountCents: l.amount_cents,
      periodStart: l.period_start.getTime(),
      periodEnd: l.period_end.getTime(),
    })),
    subtotalCents: r.subtotal_cents,
    tax: { name: r.tax_name, rateBps: r.tax_rate_bps, amountCents: r.tax_cents },
    carriedForwardCents: Number(r.carried_forward_cents),
    issuedAt: r.issued_at.getTime(),
    paidAt: r.paid_at ? r.paid_at.getTime() : null,
    paymentReference: r.payment_intent_id,
    paymentFailure:
      r.payment_failure_code || r.payment_failure_reason
        ? { code: r.payment_failure_code ?? 'unknown', reason: r.payment_failure_reason ?? '' }
        : null,
    statusNote: r.status_note,
    pdfStatus: r.pdf_status,
    carriedInto: r.carried_into,
  };
}

async function findRowByKey(db: Db, key: string): Promise<InvoiceRow | undefined> {
  const { rows } = await db.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE business_key = $1`, [key]);
  return rows[0];
}

/** The stored invoice for a repeated issue; another sale under a used key is refused, never answered with the old invoice. */
function sameRequest(row: InvoiceRow, input: IssueInvoiceInput): InvoiceSummary {
  if (row.workspace_id !== input.workspaceId || row.kind !== input.kind) {
    throw new PermanentInvoiceError(
      'InvoiceKeyReused',
      `invoice key '${input.key}' already belongs to a ${row.kind} invoice of workspace ${row.workspace_id}`,
    );
  }
  // Invoices issued before fingerprints were stored have none: kind and workspace are all there is to compare.
  if (row.content_fingerprint !== null && row.content_fingerprint !== invoiceFingerprint(input)) {
    throw new PermanentInvoiceError(
      'InvoiceKeyReused',
      `invoice key '${input.key}' was already issued as ${row.number} with other content; refusing to reuse it for another sale`,
    );
  }
  return summaryOf(row);
}

/** Thrown inside the issuing transaction when a concurrent issuer stored the same key first. */
class KeyAlreadyIssued extends Error {}

/**
 * Issues the invoice for `input.key` once: computes it, numbers it gaplessly
 * in its year and stores it with its lines, all in one transaction. A repeat
 * (or concurrent) call with the same key returns the stored invoice.
 */
export async function issueInvoice(
  pool: Pool,
  pricing: PricingConfig,
  seller: InvoiceSeller,
  input: IssueInvoiceInput,
): Promise<InvoiceSummary> {
  const existing = await findRowByKey(pool, input.key);
  if (existing) return sameRequest(existing, input);
  try {
    const issued = await inTransaction(pool, (tx) => issueNew(tx, pricing, seller, input));
    // Counted here, where a new number was committed: a repeated call returns the stored invoice above.
    invoicesIssued.inc({ kind: input.kind });
    return issued;
  } catch (err) {
    if (!(err instanceof KeyAlreadyIssued)) throw err;
    const winner = await findRowByKey(pool, input.key);
    if (!winner) throw new Error(`invoice ${input.key} vanished after a concurrent issue`, { cause: err });
    return sameRequest(winner, input);
  }
}

/**
 * issueInvoice inside a transaction the caller holds (the fused renewal):
 * the stored invoice for the key, or a new one (`issued`: count it once the
 * caller committed). A concurrent issuer of the same key makes it throw: the
 * caller's transaction must roll back (its number with it) and be retried.
 */
export async function issueInvoiceIn(
  tx: PoolClient,
  pricing: PricingConfig,
  seller: InvoiceSeller,
  input: IssueInvoiceInput,
): Promise<{ invoice: InvoiceSummary; issued: boolean }> {
  const existing = await findRowByKey(tx, input.key);
  if (existing) return { invoice: sameRequest(existing, input), issued: false };
  try {
    return { invoice: await issueNew(tx, pricing, seller, input), issued: true };
  } catch (err) {
    if (err instanceof KeyAlreadyIssued) throw new Error(`invoice ${input.key} was issued concurrently: retry`, { cause: err });
    throw err;
  }
}

/** Computes, numbers and stores a new invoice in `tx`; KeyAlreadyIssued when a concurrent issuer stored the key first. */
async function issueNew(tx: PoolClient, pricing: PricingConfig, seller: InvoiceSeller, input: IssueInvoiceInput): Promise<InvoiceSummary> {
  const { rows: wsRows } = await tx.query<{
    name: string;
    billing_email: string;
    billing_address: BillingAddress;
    plan: string;
    plan_price_cents: number;
  }>(`SELECT name, billing_email, billing_address, plan, plan_price_cents FROM workspaces WHERE id = $1`, [input.workspaceId]);
  const ws = wsRows[0];
  if (!ws) throw new PermanentInvoiceError('WorkspaceNotFound', `workspace ${input.workspaceId} does not exist`);

  const amountsWith = (carried: CarriedInvoice[]): InvoiceAmounts => {
    try {
      return computeInvoice(input, pricing, ws.billing_address, carried);
    } catch (err) {
      if (err instanceof RangeError) throw new PermanentInvoiceError('InvalidInvoiceInput', err.message);
      throw err;
    }
  };
  amountsWith([]); // bad input is refused before a number is taken
  // Invoices without a plan line (purchase, final) still show the workspace's plan and base cost.
  const planOf = (amounts: InvoiceAmounts) =>
    amounts.plan ?? { id: ws.plan, name: pricing.plans[ws.plan]?.name ?? ws.plan, priceCents: ws.plan_price_cents };
  const customer = { name: ws.name, billingEmail: ws.billing_email, billingAddress: ws.billing_address };
  const year = invoiceYear(input.issuedAt);

  const carried = await lockInvoicesToCarry(tx, input.workspaceId);
  const amounts = amountsWith(carried);
  const plan = planOf(amounts);
  // The year's counter row stays locked until commit: issuers of one year take turns,
  // and a rollback returns the number, so the sequence has no gaps.
  const { rows: seqRows } = await tx.query<{ last_number: number }>(
    `INSERT INTO invoice_number_counters (year, last_number) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last_number = invoice_number_counters.last_number + 1
     RETURNING last_number`,
    [year],
  );
  const sequence = seqRows[0]!.last_number;
  if (sequence > MAX_INVOICES_PER_YEAR) throw new Error(`invoice numbers for ${year} are exhausted`);
  const { rows } = await tx.query<InvoiceRow>(
    `INSERT INTO invoices (number, business_key, workspace_id, kind, period_start, period_end, plan, plan_name,
       plan_price_cents, customer, seller, subtotal_cents, tax_name, tax_rate_bps, tax_cents, total_cents, issued_at,
       content_fingerprint, status, paid_at, carried_forward_cents)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
       $15, $16, $17, $18,
       -- nothing due: settled as issued, never charged
       CASE WHEN $16::bigint = 0 THEN 'paid' ELSE 'open' END, CASE WHEN $16::bigint = 0 THEN $17::timestamptz END, $19)
     ON CONFLICT (business_key) DO NOTHING
     RETURNING ${INVOICE_COLUMNS}`,
    [
      formatInvoiceNumber(year, sequence),
      input.key,
      input.workspaceId,
      input.kind,
      new Date(input.periodStart),
      new Date(input.periodEnd),
      plan.id,
      plan.name,
      plan.priceCents,
      JSON.stringify(customer),
      JSON.stringify(seller),
      amounts.subtotalCents,
      amounts.tax.name,
      amounts.tax.rateBps,
      amounts.tax.amountCents,
      amounts.totalCents,
      new Date(input.issuedAt),
      invoiceFingerprint(input),
      amounts.carriedForwardCents,
    ],
  );
  const row = rows[0];
  if (!row) throw new KeyAlreadyIssued();
  await markCarriedInto(tx, carried, row);
  for (const [position, l] of amounts.lines.entries()) {
    await tx.query(
      `INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit_amount_cents, amount_cents,
         period_start, period_end)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.id, position, l.kind, l.description, l.quantity, l.unitAmountCents, l.amountCents, new Date(l.periodStart), new Date(l.periodEnd)],
    );
  }
  return summaryOf(row);
}

export const getInvoice = (db: Db, id: string) => invoiceWhere(db, 'id', id);

/** By the number printed on it (INV-<year>-<6 digits>), unique across years. */
export const getInvoiceByNumber = (db: Db, number: string) => invoiceWhere(db, 'number', number);

async function invoiceWhere(db: Db, column: 'id' | 'number', value: string): Promise<StoredInvoice | null> {
  const { rows } = await db.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM invoices WHERE ${column} = $1`, [value]);
  const row = rows[0];
  if (!row) return null;
  const { rows: lines } = await db.query<LineRow>(
    `SELECT kind, description, quantity, unit_amount_cents, amount_cents, period_start, period_end
     FROM invoice_lines WHERE invoice_id = $1 ORDER BY position`,
    [row.id],
  );
  return toInvoice(row, lines);
}

export async function requireInvoice(db: Db, id: string): Promise<StoredInvoice> {
  const invoice = await getInvoice(db, id);
  if (!invoice) throw new PermanentInvoiceError('InvoiceNotFound', `invoice ${id} does not exist`);
  return invoice;
}

/** A workspace's invoices, newest first. */
export async function listInvoices(db: Db, workspaceId: string, limit: number): Promise<StoredInvoice[]> {
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM invoices WHERE workspace_id = $1 ORDER BY issued_at DESC, number DESC LIMIT $2`,
    [workspaceId, limit],
  );
  if (rows.length === 0) return [];
  const { rows: lines } = await db.query<LineRow & { invoice_id: string }>(
    `SELECT invoice_id, kind, description, quantity, unit_amount_cents, amount_cents, period_start, period_end
     FROM invoice_lines WHERE invoice_id = ANY($1::uuid[]) ORDER BY invoice_id, position`,
    [rows.map((r) => r.id)],
  );
  return rows.map((r) => toInvoice(r, lines.filter((l) => l.invoice_id === r.id)));
}

export interface PaymentAttemptRecord {
  invoiceId: string;
  attempt: number;
  idempotencyKey: string;
  paymentIntentId: string | null;
}

async function upsertAttempt(
  tx: PoolClient,
  a: PaymentAttemptRecord,
  outcome: 'succeeded' | 'failed',
  failure: { code: string; reason: string } | null,
): Promise<void> {
  await tx.query(
    `INSERT INTO payment_attempts (invoice_id, attempt, idempotency_key, payment_intent_id, outcome, failure_code, failure_reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (invoice_id, attempt) DO UPDATE SET payment_intent_id = EXCLUDED.payment_intent_id,
       outcome = EXCLUDED.outcome, failure_code = EXCLUDED.failure_code, failure_reason = EXCLUDED.failure_reason,
       updated_at = now()`,
    [a.invoiceId, a.attempt, a.idempotencyKey, a.paymentIntentId, outcome, failure?.code ?? null, failure?.reason ?? null],
  );
}

/**
 * Marks the invoice paid (first payment wins; repeats change nothing), and
 * with it the below-minimum invoices carried into it (and into those).
 */
export async function markPaid(db: Db, invoiceId: string, paymentIntentId: string | null, paidAt: number): Promise<void> {
  await db.query(
    `UPDATE invoices SET status = 'paid', paid_at = $3, payment_intent_id = $2,
       payment_failure_code = NULL, payment_failure_reason = NULL, updated_at = now()
     WHERE id = $1 AND status <> 'paid'`,
    [invoiceId, paymentIntentId, new Date(paidAt)],
  );
  // A second statement, idempotent: a repeat after a crash between the two completes the cascade.
  await payCarriedInvoices(db, invoiceId);
}


export async function recordPaymentSucceeded(pool: Pool, a: PaymentAttemptRecord, paidAt: number): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await upsertAttempt(tx, a, 'succeeded', null);
    await markPaid(tx, a.invoiceId, a.paymentIntentId, paidAt);
  });
}

export async function recordPaymentFailed(pool: Pool, a: PaymentAttemptRecord, failure: { code: string; reason: string }): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await upsertAttempt(tx, a, 'failed', failure);
    await markPaymentFailed(tx, a.invoiceId, a.paymentIntentId, failure);
  });
}

/** open/payment_failed -> payment_failed with Stripe's reason; a paid or void invoice stays as it is. */
export async function markPaymentFailed(
  db: Db,
  invoiceId: string,
  paymentIntentId: string | null,
  failure: { code: string; reason: string },
): Promise<void> {
  await db.query(
    `UPDATE invoices SET status = 'payment_failed', payment_intent_id = COALESCE($2, payment_intent_id),
       payment_failure_code = $3, payment_failure_reason = $4, updated_at = now()
     WHERE id = $1 AND status IN ('open', 'payment_failed')`,
    [invoiceId, paymentIntentId, failure.code, failure.reason],
  );
}

/**
 * Voids an unpaid invoice (it keeps its number: numbering stays gapless). The
 * invoices it carried are released for the workspace's next invoice.
 */
export async function voidInvoice(pool: Pool, invoiceId: string, note: string): Promise<void> {
  const rowCount = await inTransaction(pool, async (tx) => {
    const voided = await tx.query(
      `UPDATE invoices SET status = 'void', status_note = $2, updated_at = now() WHERE id = $1 AND status IN ('open', 'payment_failed')`,
      [invoiceId, note],
    );
    await releaseCarriedInvoices(tx, invoiceId);
    return voided.rowCount;
  });
  if (rowCount === 0) {
    const invoice = await requireInvoice(pool, invoiceId);
    if (invoice.status === 'paid') throw new PermanentInvoiceError('InvoiceAlreadyPaid', `invoice ${invoice.number} is paid and cannot be voided`);
  }
}

export async function storePdf(db: Db, invoiceId: string, pdf: Buffer, shownStatus: InvoiceStatus): Promise<void> {
  await db.query(`UPDATE invoices SET pdf = $2, pdf_status = $3, pdf_rendered_at = now(), updated_at = now() WHERE id = $1`, [
    invoiceId,
    pdf,
    shownStatus,
  ]);
}

/**
 * Invoices whose delivered PDF does not show their current status: issued and
 * not yet rendered, or changed (paid, voided, refunded) since. Normally only
 * for the moments between a step and its delivery activity; ops look here
 * when a workflow was terminated or reset between the two (README "Billing rules").
 */
export async function invoicesAwaitingDelivery(db: Db, workspaceId: string): Promise<Array<{ id: string; number: string; status: InvoiceStatus }>> {
  const { rows } = await db.query<{ id: string; number: string; status: InvoiceStatus }>(
    `SELECT id, number, status FROM invoices WHERE workspace_id = $1 AND pdf_status IS DISTINCT FROM status ORDER BY issued_at, number`,
    [workspaceId],
  );
  return rows;
}

export async function loadPdf(db: Db, invoiceId: string): Promise<{ pdf: Buffer; status: InvoiceStatus } | null> {
  const { rows } = await db.query<{ pdf: Buffer | null; pdf_status: InvoiceStatus | null }>(
    `SELECT pdf, pdf_status FROM invoices WHERE id = $1`,
    [invoiceId],
  );
  const row = rows[0];
  return row?.pdf && row.pdf_status ? { pdf: row.pdf, status: row.pdf_status } : null;
}
