-- Up Migration
-- A sign-up has a read-model row before its first payment (the Stripe customer
-- and the invoice refer to it): `signing_up` until the payment succeeds,
-- `signup_failed` when it was refused. Neither is a workspace to the API, and
-- ops tell a refused sign-up from a purged workspace (`deleted`).
ALTER TABLE workspaces DROP CONSTRAINT workspaces_status_check;
ALTER TABLE workspaces ADD CONSTRAINT workspaces_status_check
  CHECK (status IN ('signing_up', 'signup_failed', 'active', 'past_due', 'cancelled', 'deleted'));
-- Refused sign-ups were marked `deleted`; unlike purged workspaces they never had a balance row.
UPDATE workspaces w SET status = 'signup_failed', updated_at = now()
WHERE w.status = 'deleted' AND NOT EXISTS (SELECT 1 FROM credit_balances b WHERE b.workspace_id = w.id);

-- Down Migration
UPDATE workspaces SET status = CASE status WHEN 'signing_up' THEN 'active' ELSE 'deleted' END
WHERE status IN ('signing_up', 'signup_failed');
ALTER TABLE workspaces DROP CONSTRAINT workspaces_status_check;
ALTER TABLE workspaces ADD CONSTRAINT workspaces_status_check CHECK (status IN ('active', 'past_due', 'cancelled', 'deleted'));
