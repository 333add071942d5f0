-- Up Migration
-- Stripe can refuse an automatic refund for good (the charge is disputed, say).
-- That is recorded as an outcome for ops and finance to settle by hand, not
-- retried forever: a payment signal that can never be settled must not hold up
-- the workspace's renewals behind it.
ALTER TABLE payment_refunds ADD COLUMN refused_reason text;

-- Down Migration
ALTER TABLE payment_refunds DROP COLUMN refused_reason;
