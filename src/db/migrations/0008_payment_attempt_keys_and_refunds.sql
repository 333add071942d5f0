-- Up Migration
-- A charge attempt is written down before Stripe is asked (outcome 'pending'),
-- with the time its idempotency key was first used. Stripe forgets keys after
-- 24 hours: a pending attempt whose key is 23 hours old is first reconciled
-- against the invoice's PaymentIntents, then goes on under a fresh key
-- (key_generation + 1) instead of a key Stripe may no longer know.
ALTER TABLE payment_attempts
  DROP CONSTRAINT payment_attempts_outcome_check,
  ADD CONSTRAINT payment_attempts_outcome_check CHECK (outcome IN ('pending', 'succeeded', 'failed')),
  ADD COLUMN key_generation integer NOT NULL DEFAULT 0 CHECK (key_generation >= 0),
  ADD COLUMN key_first_used_at timestamptz;
UPDATE payment_attempts SET key_first_used_at = created_at;
ALTER TABLE payment_attempts
  ALTER COLUMN key_first_used_at SET NOT NULL,
  ALTER COLUMN key_first_used_at SET DEFAULT now();

-- Money given back: a payment that arrived for a sale that did not happen (a
-- void invoice) or for an invoice another PaymentIntent had already paid. One
-- refund per PaymentIntent; finance records, kept like invoices.
CREATE TABLE payment_refunds (
  payment_intent_id text PRIMARY KEY,
  invoice_id        uuid NOT NULL REFERENCES invoices (id),
  refund_id         text,            -- null: Stripe said it was refunded before (its key long expired)
  amount_cents      bigint NOT NULL CHECK (amount_cents >= 0),
  reason            text NOT NULL CHECK (reason IN ('invoice_void', 'duplicate_payment')),
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_refunds_by_invoice ON payment_refunds (invoice_id);

-- Down Migration
DROP TABLE payment_refunds;
DELETE FROM payment_attempts WHERE outcome = 'pending';
ALTER TABLE payment_attempts
  DROP COLUMN key_first_used_at,
  DROP COLUMN key_generation,
  DROP CONSTRAINT payment_attempts_outcome_check,
  ADD CONSTRAINT payment_attempts_outcome_check CHECK (outcome IN ('succeeded', 'failed'));
