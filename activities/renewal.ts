// The renewal's ledger work as one activity (src/ledger/renewal.ts): one
// transaction instead of an activity each for opening the term, reading the
// overage, issuing the invoice and writing the read model. Refusals no retry
// fixes fail without retries, typed like the single-step activities'.
import { ApplicationFailure } from '@temporalio/common';
import type { Pool } from '../src/db/pool';
import type { InvoiceSeller } from '../src/domain/invoice';
import type { PricingConfig } from '../src/domain/pricing';
import { PermanentInvoiceError } from '../src/invoices/errors';
import { LedgerError } from '../src/ledger/errors';
import { renewTerm, type RenewedTerm, type RenewTermInput } from '../src/ledger/renewal';

export function createRenewalActivities(deps: { pool: Pool; pricing: PricingConfig; seller: InvoiceSeller }) {
  return {
    /** Opens the term, reads the ending term's overage, issues the invoice, writes the read model: all or nothing, idempotent. */
    async renewTerm(input: RenewTermInput): Promise<RenewedTerm> {
      try {
        return await renewTerm(deps.pool, deps.pricing, deps.seller, input);
      } catch (err) {
        if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code);
        if (err instanceof PermanentInvoiceError) throw ApplicationFailure.nonRetryable(err.message, err.type);
        throw err;
      }
    },
  };
}
