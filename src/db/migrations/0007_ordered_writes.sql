-- Up Migration
-- 1. Closing a term at cancellation is written on the balance row, the row
--    every debit locks or compares: a debit that read the term open cannot
--    commit after the close (and after the final overage read that follows it).
ALTER TABLE credit_balances ADD COLUMN term_closed boolean NOT NULL DEFAULT false;
-- Terms closed before this column existed: the workspace already ended, or its
-- cancellation expiry already ran for the balance row's current term.
UPDATE credit_balances b SET term_closed = true
FROM workspaces w
WHERE w.id = b.workspace_id
  AND (w.status IN ('cancelled', 'deleted')
       OR EXISTS (SELECT 1 FROM ledger_operations o
                  WHERE o.workspace_id = b.workspace_id AND o.kind = 'plan_expiry'
                    AND (o.input ->> 'termIndex')::int = b.term_index));

-- 2. The read model is written by the workflow with an increasing version; a
--    delayed older write (a retried activity) never overwrites a newer one.
--    Rows from before versions existed start at 0, below any versioned write.
ALTER TABLE workspaces ADD COLUMN sync_version bigint NOT NULL DEFAULT 0 CHECK (sync_version >= 0);

-- 3. A Stripe webhook event is recorded (and claimed for a while) first and
--    signalled to its workflow after that commit, so no transaction is held
--    while Temporal answers; it is marked delivered afterwards. A redelivery
--    of one whose signal failed (claim released or expired) is signalled again.
--    Rows from before were recorded only once delivered.
ALTER TABLE stripe_webhook_events
  ADD COLUMN delivered_at timestamptz,
  ADD COLUMN claimed_until timestamptz;
UPDATE stripe_webhook_events SET delivered_at = received_at;

-- Down Migration
ALTER TABLE stripe_webhook_events DROP COLUMN delivered_at, DROP COLUMN claimed_until;
ALTER TABLE workspaces DROP COLUMN sync_version;
ALTER TABLE credit_balances DROP COLUMN term_closed;
