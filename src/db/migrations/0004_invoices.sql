-- Up Migration
-- Invoices, their lines, payment attempts, and processed Stripe webhook events.
-- Invoices are finance records: never deleted (the retention purge keeps them),
-- amounts are integer cents, and customer and seller blocks are snapshots taken
-- at issue time so a later address change never rewrites an issued invoice.

-- Gapless per-year numbering: the issuing transaction increments its year's row
-- (the row lock serialises issuers of that year); a rolled-back issue gives its
-- number back.
CREATE TABLE invoice_number_counters (
  year        integer PRIMARY KEY CHECK (year BETWEEN 1000 AND 9999),
  last_number integer NOT NULL CHECK (last_number BETWEEN 1 AND 999999)
);

CREATE TABLE invoices (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  number                 text NOT NULL UNIQUE CHECK (number ~ '^INV-[0-9]{4}-[0-9]{6}$'),
  -- business identity (renewal:<ws>:<term>, purchase:<ws>:<id>, ...): issuing is idempotent by it
  business_key           text NOT NULL UNIQUE,
  workspace_id           text NOT NULL REFERENCES workspaces (id),
  kind                   text NOT NULL CHECK (kind IN ('renewal', 'upgrade', 'credit_purchase', 'final')),
  status                 text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'payment_failed', 'void')),
  currency               text NOT NULL DEFAULT 'usd',
  period_start           timestamptz NOT NULL,
  period_end             timestamptz NOT NULL CHECK (period_end > period_start),
  plan                   text,
  plan_name              text,
  plan_price_cents       bigint CHECK (plan_price_cents >= 0),
  customer               jsonb NOT NULL, -- {name, billingEmail, billingAddress}
  seller                 jsonb NOT NULL, -- {name, address[]}
  subtotal_cents         bigint NOT NULL CHECK (subtotal_cents >= 0),
  tax_name               text NOT NULL,
  tax_rate_bps           integer NOT NULL CHECK (tax_rate_bps BETWEEN 0 AND 10000),
  tax_cents              bigint NOT NULL CHECK (tax_cents >= 0),
  total_cents            bigint NOT NULL CHECK (total_cents = subtotal_cents + tax_cents),
  issued_at              timestamptz NOT NULL,
  paid_at                timestamptz,
  payment_intent_id      text,           -- the payment reference
  payment_failure_code   text,
  payment_failure_reason text,
  status_note            text,           -- why an invoice was voided, printed on it
  pdf                    bytea,
  pdf_status             text,           -- the status the stored PDF shows
  pdf_rendered_at        timestamptz,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'paid') = (paid_at IS NOT NULL))
);
CREATE INDEX invoices_by_workspace ON invoices (workspace_id, issued_at DESC, number DESC);

CREATE TABLE invoice_lines (
  invoice_id        uuid NOT NULL REFERENCES invoices (id),
  position          integer NOT NULL CHECK (position >= 0),
  kind              text NOT NULL CHECK (kind IN ('base_fee', 'upgrade_proration', 'credit_purchase', 'overage')),
  description       text NOT NULL,
  quantity          bigint NOT NULL CHECK (quantity >= 0),
  unit_amount_cents bigint NOT NULL CHECK (unit_amount_cents >= 0),
  amount_cents      bigint NOT NULL CHECK (amount_cents = quantity * unit_amount_cents),
  period_start      timestamptz NOT NULL,
  period_end        timestamptz NOT NULL CHECK (period_end > period_start),
  PRIMARY KEY (invoice_id, position)
);

-- One row per charge attempt (dunning retries are attempts 1..n); the Stripe
-- idempotency key is derived from invoice id + attempt.
CREATE TABLE payment_attempts (
  invoice_id        uuid NOT NULL REFERENCES invoices (id),
  attempt           integer NOT NULL CHECK (attempt >= 1),
  idempotency_key   text NOT NULL UNIQUE,
  payment_intent_id text,
  outcome           text NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  failure_code      text,
  failure_reason    text,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (invoice_id, attempt)
);

-- Stripe webhook events already routed, so a redelivered event is ignored.
CREATE TABLE stripe_webhook_events (
  event_id          text PRIMARY KEY,
  type              text NOT NULL,
  workspace_id      text,
  invoice_id        text,
  payment_intent_id text,
  received_at       timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE stripe_webhook_events;
DROP TABLE payment_attempts;
DROP TABLE invoice_lines;
DROP TABLE invoices;
DROP TABLE invoice_number_counters;
