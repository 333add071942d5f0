// The record of Stripe webhook events (table stripe_webhook_events): which
// ones were delivered to their workflow, and which delivery is in progress.
// Each call is one statement, so no connection is held while Temporal answers.
import type { Pool } from '../../db/pool';

/**
 * How long a delivery in progress keeps other deliveries of its event away.
 * Longer than a signal may take (the client gives up after 60 s); if it ran
 * out anyway, the worst case is a second signal, which the workflow drops by
 * event id.
 */
const CLAIM = `interval '2 minutes'`;

export interface EventRecord {
  eventId: string;
  type: string;
  workspaceId: string | null;
  invoiceId: string | null;
  paymentIntentId: string | null;
  /** There is something to deliver (a payment signal); otherwise recording it is all. */
  deliverable: boolean;
}

/**
 * Records the event and claims its delivery: 'first' when it is new (delivered
 * at once if there is nothing to deliver), 'retry' when an earlier delivery of
 * it failed or was abandoned, 'delivered' when nothing is left to do, 'busy'
 * while another delivery of it is in progress.
 */
export async function claimEvent(pool: Pool, e: EventRecord): Promise<'first' | 'retry' | 'delivered' | 'busy'> {
  const { rows } = await pool.query<{ outcome: 'first' | 'retry' | 'delivered' | 'busy' }>(
    `WITH ins AS (
       INSERT INTO stripe_webhook_events (event_id, type, workspace_id, invoice_id, payment_intent_id, delivered_at, claimed_until)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::boolean THEN NULL ELSE now() END, CASE WHEN $6::boolean THEN now() + ${CLAIM} END)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id
     ), reclaimed AS (
       UPDATE stripe_webhook_events SET claimed_until = now() + ${CLAIM}
       WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM ins)
         AND delivered_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
       RETURNING event_id
     )
     SELECT 'first' AS outcome FROM ins
     UNION ALL SELECT 'retry' FROM reclaimed
     UNION ALL SELECT CASE WHEN delivered_at IS NULL THEN 'busy' ELSE 'delivered' END
       FROM stripe_webhook_events
       WHERE event_id = $1 AND NOT EXISTS (SELECT 1 FROM ins) AND NOT EXISTS (SELECT 1 FROM reclaimed)`,
    [e.eventId, e.type, e.workspaceId, e.invoiceId, e.paymentIntentId, e.deliverable],
  );
  // No row: another delivery inserted it after this statement's snapshot, and is delivering it.
  return rows[0]?.outcome ?? 'busy';
}

/** The event reached its workflow (or can never reach one): redeliveries are duplicates. */
export async function markDelivered(pool: Pool, eventId: string): Promise<void> {
  await pool.query(`UPDATE stripe_webhook_events SET delivered_at = now(), claimed_until = NULL WHERE event_id = $1`, [eventId]);
}

/** The delivery failed: the next redelivery may try at once. */
export async function releaseClaim(pool: Pool, eventId: string): Promise<void> {
  await pool.query(`UPDATE stripe_webhook_events SET claimed_until = NULL WHERE event_id = $1 AND delivered_at IS NULL`, [eventId]);
}
