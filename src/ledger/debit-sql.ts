// The statements of the check-and-debit path, shared with the benchmark
// (scripts/bench-usage.ts runs the same SQL through pgbench). Two ways:
// - optimistic, two round trips and no explicit transaction:
//   readForDebit; [decide in TS]; writeDebitIfUnchanged (one atomic statement
//   that applies only if the balance row is still what was read);
// - locked, when that lost a race: BEGIN; lockForDebit; [decide]; writeDebit; COMMIT.

const debitColumns = `
SELECT b.term_index, b.term_end, b.plan_balance, b.purchased_balance, b.overage_used, b.unbilled_shortfall,
       b.low_notified, b.exhausted_notified, b.term_closed, w.status, ($2::text = ANY (w.disabled_features)) AS feature_disabled,
       w.on_demand_enabled, w.on_demand_monthly_limit, w.low_balance_threshold, w.plan_credits
FROM credit_balances b JOIN workspaces w ON w.id = b.workspace_id
WHERE b.workspace_id = $1`;

/**
 * $1 workspace, $2 feature. Locks the balance row; settings come from the read
 * model. The row's term_closed, not the read model's status, is what orders a
 * debit against the cancellation (the close and the final overage read).
 */
export const lockForDebit = `${debitColumns}
FOR UPDATE OF b`;

/** $1 workspace, $2 feature. The same row, unlocked: writeDebitIfUnchanged checks it did not move. */
export const readForDebit = debitColumns;

// Parts shared by both writes: each hangs off `ev`, so nothing is written without the usage event.
const usageEventInto = `usage_events (workspace_id, idempotency_key, request_hash, member_id, action, feature, tokens, credits,
    plan_credits, purchased_credits, overage_credits, shortfall_credits, already_performed, term_index, response)`;
const usageEventValues = `$1, $2, $3, $4, $5, $6, $7::int, $8::int + $9::int + $10::int, $8, $9, $10, $11::int, $12, $13::int, $14::jsonb`;
const ledgerAndOutbox = `ledger AS (
  INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
  SELECT $1, 'usage:' || $2, x.kind, x.bucket, -x.credits, $13, $5 || ' by ' || $4 || ' (' || $6 || ')'
  FROM ev, (VALUES ('consumption', 'plan', $8), ('consumption', 'purchased', $9),
                   ('overage', 'overage', $10), ('shortfall', 'shortfall', $11)) AS x (kind, bucket, credits)
  WHERE x.credits > 0
), outbox AS (
  INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
  SELECT $1, e.type, e.payload, e.dedupe_key FROM ev, jsonb_to_recordset($17::jsonb) AS e (type text, payload jsonb, dedupe_key text)
  ON CONFLICT (dedupe_key) DO NOTHING
)`;
const balanceSet = `plan_balance = plan_balance - $8, purchased_balance = purchased_balance - $9,
    overage_used = overage_used + $10, unbilled_shortfall = unbilled_shortfall + $11,
    low_notified = low_notified OR $15::boolean, exhausted_notified = exhausted_notified OR $16::boolean`;

/**
 * Records one billable usage request in one round trip: the usage event
 * (which is also the idempotency record), its ledger entries, the balance
 * cache and any outbox events. If the idempotency key was already used,
 * ON CONFLICT leaves the event out and every other part writes nothing
 * because each one hangs off `ev`; no row comes back.
 *
 * $1 workspace, $2 idempotency key, $3 request hash, $4 member, $5 action,
 * $6 feature, $7 tokens, $8 plan, $9 purchased, $10 overage, $11 shortfall,
 * $12 already performed, $13 term index, $14 response, $15 set low flag,
 * $16 set exhausted flag, $17 outbox events [{type, payload, dedupe_key}].
 */
export const writeDebit = `
WITH ev AS (
  INSERT INTO ${usageEventInto}
  VALUES (${usageEventValues})
  ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
  RETURNING id
), balance AS (
  UPDATE credit_balances SET ${balanceSet}
  WHERE workspace_id = $1 AND EXISTS (SELECT 1 FROM ev)
), ${ledgerAndOutbox}
SELECT id FROM ev`;

/**
 * writeDebit's parts in one statement that writes nothing unless the balance
 * row still holds what the decision was made on (a compare-and-set: Postgres
 * re-checks the WHERE after any concurrent update commits). Parameters as in
 * writeDebit, plus the values read: $18 plan, $19 purchased, $20 overage used,
 * $21 shortfall, $22 low notified, $23 exhausted notified; and the term must
 * still be open (a term closed meanwhile takes no more usage). The usage event
 * has no ON CONFLICT: a key used meanwhile raises usage_events_idempotency
 * and the whole statement writes nothing. No row back = the row moved.
 */
export const writeDebitIfUnchanged = `
WITH balance AS (
  UPDATE credit_balances SET ${balanceSet}
  WHERE workspace_id = $1 AND term_index = $13 AND plan_balance = $18 AND purchased_balance = $19
    AND overage_used = $20 AND unbilled_shortfall = $21 AND low_notified = $22 AND exhausted_notified = $23
    AND NOT term_closed
  RETURNING workspace_id
), ev AS (
  INSERT INTO ${usageEventInto}
  SELECT ${usageEventValues} FROM balance
  RETURNING id
), ${ledgerAndOutbox}
SELECT id FROM ev`;

/** $1 workspace, $2 idempotency key: the first answer to a key, if any. */
export const findPriorRequest = `
SELECT request_hash, response FROM usage_events WHERE workspace_id = $1 AND idempotency_key = $2`;

/** $1 workspace, $2 payload, $3 dedupe key: a refusal's credits.exhausted event (once per term). */
export const writeExhausted = `
WITH flag AS (UPDATE credit_balances SET exhausted_notified = true WHERE workspace_id = $1)
INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key) VALUES ($1, 'credits.exhausted', $2, $3)
ON CONFLICT (dedupe_key) DO NOTHING`;
