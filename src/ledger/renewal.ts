// The ledger work of a renewal in one transaction: open the new term (expire
// the old plan credits, grant the new allocation), read the ending term's
// overage, issue the term's invoice (base fee plus that overage), and write
// the read model. Each part keeps its own business key (term-open:<ws>:<n>,
// renewal:<ws>:<n>, the read model's sync version), so a retry after a crash
// at any point answers what the first run did, and nothing is half done: the
// transaction commits all of it or none.
import { inTransaction, type Pool } from '../db/pool';
import type { InvoiceSeller, InvoiceSummary } from '../domain/invoice';
import type { PricingConfig } from '../domain/pricing';
import { termInvoiceInput } from '../domain/term-invoice';
import { issueInvoiceIn } from '../invoices/store';
import { invoicesIssued } from '../metrics';
import { balanceAfter, overageUsed, type BalanceAfter } from './balances';
import { openTermIn, type OpenTermInput } from './operations';
import { writeReadModel, type VersionedSnapshot } from './read-model';

export interface RenewTermInput {
  /** The new term, with the plan it runs on. */
  term: OpenTermInput;
  /** The ending term: its overage is billed with the new term's base fee. */
  previous: { index: number; start: number; end: number };
  /** The invoice's business key (renewal:<ws>:<n>), the workflow's clock and the plan's display name. */
  invoice: { key: string; issuedAt: number; planName: string };
  /** The read model as the workflow sees it once renewed. */
  readModel: VersionedSnapshot;
}

export interface RenewedTerm {
  /** On-demand credits used in the ending term (billed in `invoice`). */
  overage: number;
  /** Null when there was nothing to bill (no base fee, no overage). */
  invoice: InvoiceSummary | null;
  balanceAfter: BalanceAfter | null;
}

export async function renewTerm(pool: Pool, pricing: PricingConfig, seller: InvoiceSeller, input: RenewTermInput): Promise<RenewedTerm> {
  const { term, previous } = input;
  const { workspaceId } = term;
  const { renewed, issued } = await inTransaction(pool, async (tx) => {
    // The balance row stays locked from here: debits wait, and land in the new term once it commits.
    await openTermIn(tx, term);
    const overage = await overageUsed(tx, { workspaceId, termIndex: previous.index });
    const invoiceInput = termInvoiceInput({
      key: input.invoice.key,
      workspaceId,
      term: { start: term.termStart, end: term.termEnd },
      issuedAt: input.invoice.issuedAt,
      base: { plan: term.plan, planName: input.invoice.planName, priceCents: term.planPriceCents },
      overageCredits: overage,
      previous,
    });
    await writeReadModel(tx, input.readModel);
    const balance = await balanceAfter(tx, workspaceId);
    // Last: numbering locks the year's counter row until commit, and every renewal of the year takes turns on it.
    const invoice = invoiceInput ? await issueInvoiceIn(tx, pricing, seller, invoiceInput) : null;
    const renewed: RenewedTerm = { overage, invoice: invoice?.invoice ?? null, balanceAfter: balance };
    return { renewed, issued: invoice?.issued ?? false };
  });
  if (issued) invoicesIssued.inc({ kind: 'renewal' });
  return renewed;
}
