-- Up Migration
-- Balances and per-term counters can pass 2^31 credits: a token-metered call
-- may cost up to a million credits, and unlimited on-demand usage adds up
-- (about 2,100 such calls in one term overflowed int4 and failed with a 500).
ALTER TABLE credit_balances
  ALTER COLUMN plan_balance TYPE bigint,
  ALTER COLUMN purchased_balance TYPE bigint,
  ALTER COLUMN overage_used TYPE bigint,
  ALTER COLUMN unbilled_shortfall TYPE bigint;

-- Down Migration
ALTER TABLE credit_balances
  ALTER COLUMN plan_balance TYPE integer,
  ALTER COLUMN purchased_balance TYPE integer,
  ALTER COLUMN overage_used TYPE integer,
  ALTER COLUMN unbilled_shortfall TYPE integer;
