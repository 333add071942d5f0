-- Up Migration
-- The credit ledger and the usage hot path (SPEC rules 1-4, 8, 9, 11).

-- Append-only record of every credit movement. Balances derive from it.
--   plan      grant (+) at term open / upgrade, expiry (-) of the remainder,
--             consumption (-)
--   purchased purchase (+), consumption (-); never expires
--   overage   overage (-): billable on-demand credits, billed next term
--   shortfall shortfall (-): a reported fact nothing could cover; not billable
-- adjustment (either sign, any bucket) is reserved for manual corrections.
CREATE TABLE credit_ledger (
  id              bigserial PRIMARY KEY,
  workspace_id    text NOT NULL REFERENCES workspaces (id),
  kind            text NOT NULL,
  bucket          text NOT NULL CHECK (bucket IN ('plan', 'purchased', 'overage', 'shortfall')),
  amount          integer NOT NULL CHECK (amount <> 0),
  -- the term the movement belongs to (the balance row's term when it happened)
  term_index      integer NOT NULL CHECK (term_index >= 0),
  reason          text NOT NULL,
  -- business key of the operation or usage request that wrote the entry
  idempotency_key text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT credit_ledger_kind_bucket_sign CHECK (
    (kind = 'grant' AND bucket = 'plan' AND amount > 0)
    OR (kind = 'expiry' AND bucket = 'plan' AND amount < 0)
    OR (kind = 'purchase' AND bucket = 'purchased' AND amount > 0)
    OR (kind = 'consumption' AND bucket IN ('plan', 'purchased') AND amount < 0)
    OR (kind = 'overage' AND bucket = 'overage' AND amount < 0)
    OR (kind = 'shortfall' AND bucket = 'shortfall' AND amount < 0)
    OR (kind = 'adjustment')
  ),
  -- one operation writes at most one entry per kind and bucket: a replayed
  -- operation cannot double-apply even if its idempotency record were lost
  CONSTRAINT credit_ledger_once UNIQUE (workspace_id, idempotency_key, kind, bucket)
);
CREATE INDEX credit_ledger_by_term ON credit_ledger (workspace_id, bucket, term_index);

-- Entries are never changed; only the retention purge (rule 12) deletes them,
-- and it says so with SET LOCAL billing.purge = 'on'.
CREATE FUNCTION credit_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('billing.purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'credit_ledger is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER credit_ledger_append_only BEFORE UPDATE OR DELETE ON credit_ledger
  FOR EACH ROW EXECUTE FUNCTION credit_ledger_append_only();

-- Balance cache, one row per workspace, created by the first term open. It is
-- the row every debit and ledger operation locks, so they serialize per
-- workspace; its buckets always equal the ledger sums (test/activities and
-- src/ledger/audit.ts check it). It carries its own term so that a debit
-- reads its term and balance from the one row it locked.
CREATE TABLE credit_balances (
  workspace_id       text PRIMARY KEY REFERENCES workspaces (id),
  term_index         integer NOT NULL CHECK (term_index >= 0),
  term_end           timestamptz NOT NULL,
  plan_balance       integer NOT NULL CHECK (plan_balance >= 0),
  purchased_balance  integer NOT NULL CHECK (purchased_balance >= 0),
  -- this term's billable overage and unbilled shortfall
  overage_used       integer NOT NULL DEFAULT 0 CHECK (overage_used >= 0),
  unbilled_shortfall integer NOT NULL DEFAULT 0 CHECK (unbilled_shortfall >= 0),
  -- credits.low / credits.exhausted already emitted this term
  low_notified       boolean NOT NULL DEFAULT false,
  exhausted_notified boolean NOT NULL DEFAULT false
);

-- One row per billable usage request; (workspace_id, idempotency_key) makes
-- the request idempotent and `response` is the first answer, replayed.
CREATE TABLE usage_events (
  id                bigserial PRIMARY KEY,
  workspace_id      text NOT NULL REFERENCES workspaces (id),
  idempotency_key   text NOT NULL,
  -- sha256 of the canonical request body: same key + other body = 409
  request_hash      text NOT NULL,
  member_id         text NOT NULL,
  action            text NOT NULL,
  feature           text NOT NULL,
  tokens            integer CHECK (tokens >= 0),
  -- credits charged: plan + purchased + overage
  credits           integer NOT NULL CHECK (credits >= 0),
  plan_credits      integer NOT NULL CHECK (plan_credits >= 0),
  purchased_credits integer NOT NULL CHECK (purchased_credits >= 0),
  overage_credits   integer NOT NULL CHECK (overage_credits >= 0),
  shortfall_credits integer NOT NULL CHECK (shortfall_credits >= 0),
  already_performed boolean NOT NULL,
  term_index        integer NOT NULL CHECK (term_index >= 0),
  at                timestamptz NOT NULL DEFAULT now(),
  response          jsonb NOT NULL,
  CONSTRAINT usage_events_idempotency UNIQUE (workspace_id, idempotency_key),
  CHECK (credits = plan_credits + purchased_credits + overage_credits)
);
CREATE INDEX usage_events_history ON usage_events (workspace_id, id);
CREATE INDEX usage_events_by_time ON usage_events (workspace_id, at);

-- Ledger operations the workflow runs as activities (term open, upgrade,
-- purchase grant, expiry), recorded by business key so a retry is a no-op
-- that answers what the first run did.
CREATE TABLE ledger_operations (
  workspace_id text NOT NULL REFERENCES workspaces (id),
  key          text NOT NULL,
  kind         text NOT NULL,
  input        jsonb NOT NULL,
  result       jsonb NOT NULL,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (workspace_id, key)
);

-- Down Migration
DROP TABLE ledger_operations;
DROP TABLE usage_events;
DROP TABLE credit_balances;
DROP TABLE credit_ledger;
DROP FUNCTION credit_ledger_append_only();
