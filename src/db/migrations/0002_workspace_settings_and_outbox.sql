-- Up Migration
-- The rest of the workspace read model (kept current by the workflow's
-- activities; read by the usage hot path) and the event outbox shared by
-- credit notifications and invoice delivery.
ALTER TABLE workspaces
  ADD COLUMN plan_credits            integer NOT NULL DEFAULT 0 CHECK (plan_credits >= 0),
  ADD COLUMN plan_price_cents        integer NOT NULL DEFAULT 0 CHECK (plan_price_cents >= 0),
  ADD COLUMN scheduled_plan          text,
  ADD COLUMN on_demand_enabled       boolean NOT NULL DEFAULT false,
  ADD COLUMN on_demand_monthly_limit integer NOT NULL DEFAULT 0 CHECK (on_demand_monthly_limit >= 0),
  ADD COLUMN disabled_features       text[] NOT NULL DEFAULT '{}',
  -- NULL = the pricing config's default percentage of plan_credits
  ADD COLUMN low_balance_threshold   integer CHECK (low_balance_threshold >= 0),
  ADD COLUMN cancel_at               timestamptz,
  ADD COLUMN retention_until         timestamptz,
  ADD COLUMN stripe_customer_id      text,
  ADD COLUMN payment_method          text;

-- Outbound events (credits.low, credits.exhausted, invoice.finalized), written
-- in the transaction that caused them and delivered by a dispatcher.
CREATE TABLE outbox_events (
  id              bigserial PRIMARY KEY,
  event_id        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  workspace_id    text NOT NULL,
  type            text NOT NULL,
  payload         jsonb NOT NULL,
  -- business identity of the event, so a retried writer never emits it twice
  dedupe_key      text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  last_error      text
);
CREATE INDEX outbox_events_pending ON outbox_events (next_attempt_at) WHERE delivered_at IS NULL;

-- Down Migration
DROP TABLE outbox_events;
ALTER TABLE workspaces
  DROP COLUMN plan_credits, DROP COLUMN plan_price_cents, DROP COLUMN scheduled_plan,
  DROP COLUMN on_demand_enabled, DROP COLUMN on_demand_monthly_limit, DROP COLUMN disabled_features,
  DROP COLUMN low_balance_threshold, DROP COLUMN cancel_at, DROP COLUMN retention_until,
  DROP COLUMN stripe_customer_id, DROP COLUMN payment_method;
