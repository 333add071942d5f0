// Charge attempts in Postgres, written down before Stripe is asked: which
// idempotency key an attempt uses and since when (Stripe forgets keys after
// 24 hours, so an old key must not be trusted to de-duplicate a retry).
import type { Pool } from '../db/pool';
import { chargeIdempotencyKey } from './stripe-requests';

export interface AttemptRow {
  outcome: 'pending' | 'succeeded' | 'failed';
  idempotencyKey: string;
  keyGeneration: number;
  keyFirstUsedAt: number;
  paymentIntentId: string | null;
  failureCode: string | null;
  failureReason: string | null;
}

interface Row {
  outcome: AttemptRow['outcome'];
  idempotency_key: string;
  key_generation: number;
  key_first_used_at: Date;
  payment_intent_id: string | null;
  failure_code: string | null;
  failure_reason: string | null;
}

const COLUMNS = `outcome, idempotency_key, key_generation, key_first_used_at, payment_intent_id, failure_code, failure_reason`;

const toAttempt = (r: Row): AttemptRow => ({
  outcome: r.outcome,
  idempotencyKey: r.idempotency_key,
  keyGeneration: r.key_generation,
  keyFirstUsedAt: r.key_first_used_at.getTime(),
  paymentIntentId: r.payment_intent_id,
  failureCode: r.failure_code,
  failureReason: r.failure_reason,
});

/** The attempt's row, created as `pending` with its first key on first use. */
export async function beginAttempt(pool: Pool, invoiceId: string, attempt: number, now: number): Promise<AttemptRow> {
  await pool.query(
    `INSERT INTO payment_attempts (invoice_id, attempt, idempotency_key, outcome, key_generation, key_first_used_at)
     VALUES ($1, $2, $3, 'pending', 0, $4) ON CONFLICT (invoice_id, attempt) DO NOTHING`,
    [invoiceId, attempt, chargeIdempotencyKey(invoiceId, attempt), new Date(now)],
  );
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM payment_attempts WHERE invoice_id = $1 AND attempt = $2`, [invoiceId, attempt]);
  return toAttempt(rows[0]!);
}

/** Moves a pending attempt to its next key (recorded before it is used); a concurrent caller's move counts too. */
export async function rekeyAttempt(pool: Pool, invoiceId: string, attempt: number, from: AttemptRow, now: number): Promise<AttemptRow> {
  const generation = from.keyGeneration + 1;
  await pool.query(
    `UPDATE payment_attempts SET key_generation = $3, idempotency_key = $4, key_first_used_at = $5, updated_at = now()
     WHERE invoice_id = $1 AND attempt = $2 AND outcome = 'pending' AND key_generation = $3 - 1`,
    [invoiceId, attempt, generation, chargeIdempotencyKey(invoiceId, attempt, generation), new Date(now)],
  );
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM payment_attempts WHERE invoice_id = $1 AND attempt = $2`, [invoiceId, attempt]);
  return toAttempt(rows[0]!);
}

/** When the invoice's first charge attempt began (bounds the look-up of its PaymentIntents). */
export async function firstAttemptAt(pool: Pool, invoiceId: string): Promise<number | null> {
  const { rows } = await pool.query<{ first: Date | null }>(`SELECT min(created_at) AS first FROM payment_attempts WHERE invoice_id = $1`, [invoiceId]);
  return rows[0]?.first?.getTime() ?? null;
}
