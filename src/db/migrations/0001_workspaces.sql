-- Up Migration
-- Read model of a workspace, kept current by the billing workflow's activities
-- so the usage hot path can decide without asking Temporal.
CREATE TABLE workspaces (
  id              text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),
  name            text NOT NULL,
  billing_email   text NOT NULL,
  billing_address jsonb NOT NULL,
  plan            text NOT NULL,
  status          text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'past_due', 'cancelled', 'deleted')),
  anchor_at       timestamptz NOT NULL,
  term_index      integer NOT NULL DEFAULT 0 CHECK (term_index >= 0),
  term_start      timestamptz NOT NULL,
  term_end        timestamptz NOT NULL CHECK (term_end > term_start),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE workspaces;
