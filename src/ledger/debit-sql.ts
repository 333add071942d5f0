// The statements of the check-and-debit transaction, shared with the
// benchmark (scripts/bench-usage.ts runs the same SQL through pgbench).
// The transaction is: BEGIN; lockForDebit; [decide in TS]; writeDebit; COMMIT.

/** $1 workspace, $2 feature. Locks the balance row; settings come from the read model. */
export const lockForDebit = `
SELECT b.term_index, b.term_end, b.plan_balance, b.purchased_balance, b.overage_used, b.unbilled_shortfall,
       b.low_notified, b.exhausted_notified, w.status, ($2::text = ANY (w.disabled_features)) AS feature_disabled,
       w.on_demand_enabled, w.on_demand_monthly_limit, w.low_balance_threshold, w.plan_credits
FROM credit_balances b JOIN workspaces w ON w.id = b.workspace_id
WHERE b.workspace_id = $1
FOR UPDATE OF b`;

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
  INSERT INTO usage_events (workspace_id, idempotency_key, request_hash, member_id, action, feature, tokens, credits,
    plan_credits, purchased_credits, overage_credits, shortfall_credits, already_performed, term_index, response)
  VALUES ($1, $2, $3, $4, $5, $6, $7::int, $8::int + $9::int + $10::int, $8, $9, $10, $11::int, $12, $13::int, $14::jsonb)
  ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
  RETURNING id
), ledger AS (
  INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
  SELECT $1, 'usage:' || $2, x.kind, x.bucket, -x.credits, $13, $5 || ' by ' || $4 || ' (' || $6 || ')'
  FROM ev, (VALUES ('consumption', 'plan', $8), ('consumption', 'purchased', $9),
                   ('overage', 'overage', $10), ('shortfall', 'shortfall', $11)) AS x (kind, bucket, credits)
  WHERE x.credits > 0
), balance AS (
  UPDATE credit_balances SET plan_balance = plan_balance - $8, purchased_balance = purchased_balance - $9,
    overage_used = overage_used + $10, unbilled_shortfall = unbilled_shortfall + $11,
    low_notified = low_notified OR $15::boolean, exhausted_notified = exhausted_notified OR $16::boolean
  WHERE workspace_id = $1 AND EXISTS (SELECT 1 FROM ev)
), outbox AS (
  INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key)
  SELECT $1, e.type, e.payload, e.dedupe_key FROM ev, jsonb_to_recordset($17::jsonb) AS e (type text, payload jsonb, dedupe_key text)
  ON CONFLICT (dedupe_key) DO NOTHING
)
SELECT id FROM ev`;

/** $1 workspace, $2 idempotency key: the first answer to a key, if any. */
export const findPriorRequest = `
SELECT request_hash, response FROM usage_events WHERE workspace_id = $1 AND idempotency_key = $2`;

/** $1 workspace, $2 payload, $3 dedupe key: a refusal's credits.exhausted event (once per term). */
export const writeExhausted = `
WITH flag AS (UPDATE credit_balances SET exhausted_notified = true WHERE workspace_id = $1)
INSERT INTO outbox_events (workspace_id, type, payload, dedupe_key) VALUES ($1, 'credits.exhausted', $2, $3)
ON CONFLICT (dedupe_key) DO NOTHING`;
