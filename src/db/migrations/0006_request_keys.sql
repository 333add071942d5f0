-- Up Migration
-- Idempotency-Key of lifecycle writes (and a purchase's idempotencyKey): bound
-- to the request it first came with (a hash of route + workspace + canonical
-- body) and, once it succeeded, to its answer. Kept 30 days from first use,
-- then pruned by age (never by count): the same key with another request is a
-- 409, a repeat gets the stored answer without asking the workflow.
CREATE TABLE request_keys (
  workspace_id  text NOT NULL,
  key           text NOT NULL,
  route         text NOT NULL,
  request_hash  text NOT NULL,
  answer_status integer,
  answer_body   jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  answered_at   timestamptz,
  PRIMARY KEY (workspace_id, key),
  CHECK ((answer_status IS NULL) = (answer_body IS NULL))
);
CREATE INDEX request_keys_created_at ON request_keys (created_at);

-- What an invoice bills (src/domain/invoice.ts invoiceFingerprint): issuing an
-- existing business key again with other content is refused, not answered with
-- the old invoice. NULL on invoices issued before this migration.
ALTER TABLE invoices ADD COLUMN content_fingerprint text;

-- Down Migration
ALTER TABLE invoices DROP COLUMN content_fingerprint;
DROP TABLE request_keys;
