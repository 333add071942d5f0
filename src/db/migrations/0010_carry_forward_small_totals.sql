-- Up Migration
-- Totals below Stripe's $0.50 minimum charge are no longer written off: such
-- an invoice stays open, marked carried forward, and the workspace's next
-- invoice bills its total (tax included, not taxed again) on a
-- 'carried_forward' line. Paying that invoice pays the carried one.
ALTER TABLE invoices
  -- set when a below-minimum total was carried forward instead of charged
  ADD COLUMN carry_forward_at      timestamptz,
  -- the invoice that bills this one's total (null: not picked up yet)
  ADD COLUMN carried_into          uuid REFERENCES invoices (id),
  -- on the invoice that picked them up: the carried totals, outside the taxed subtotal
  ADD COLUMN carried_forward_cents bigint NOT NULL DEFAULT 0 CHECK (carried_forward_cents >= 0),
  ADD CONSTRAINT invoices_carried_only_when_carrying CHECK (carried_into IS NULL OR carry_forward_at IS NOT NULL);

-- The total now includes carried-forward amounts (0004 left its check unnamed: find it by its definition).
DO $$
DECLARE name text;
BEGIN
  SELECT conname INTO STRICT name FROM pg_constraint
  WHERE conrelid = 'invoices'::regclass AND contype = 'c'
    AND pg_get_constraintdef(oid) LIKE '%total_cents = (subtotal_cents + tax_cents))%';
  EXECUTE format('ALTER TABLE invoices DROP CONSTRAINT %I', name);
END $$;
ALTER TABLE invoices
  ADD CONSTRAINT invoices_total_is_subtotal_tax_and_carried CHECK (total_cents = subtotal_cents + tax_cents + carried_forward_cents);

-- What the next invoice of a workspace picks up.
CREATE INDEX invoices_to_carry_forward ON invoices (workspace_id, issued_at)
  WHERE carry_forward_at IS NOT NULL AND carried_into IS NULL AND status = 'open';
CREATE INDEX invoices_by_carried_into ON invoices (carried_into) WHERE carried_into IS NOT NULL;

ALTER TABLE invoice_lines
  DROP CONSTRAINT invoice_lines_kind_check,
  ADD CONSTRAINT invoice_lines_kind_check
    CHECK (kind IN ('base_fee', 'upgrade_proration', 'credit_purchase', 'overage', 'carried_forward'));

-- Down Migration
ALTER TABLE invoice_lines
  DROP CONSTRAINT invoice_lines_kind_check,
  ADD CONSTRAINT invoice_lines_kind_check CHECK (kind IN ('base_fee', 'upgrade_proration', 'credit_purchase', 'overage'));
DROP INDEX invoices_by_carried_into;
DROP INDEX invoices_to_carry_forward;
ALTER TABLE invoices
  DROP CONSTRAINT invoices_total_is_subtotal_tax_and_carried,
  DROP CONSTRAINT invoices_carried_only_when_carrying,
  DROP COLUMN carried_forward_cents,
  DROP COLUMN carried_into,
  DROP COLUMN carry_forward_at,
  ADD CHECK (total_cents = subtotal_cents + tax_cents);
