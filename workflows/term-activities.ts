// The activities that open a term and bill it in advance: used by sign-up,
// renewal (workflows/executor.ts) and re-subscription; the fused renewal.
import type { InvoiceSummary } from '../src/domain/invoice';
import { termInvoiceInput } from '../src/domain/term-invoice';
import type { Term } from '../src/domain/terms';
import type { OpenTermInput } from '../src/ledger/operations';
import type { RenewedTerm } from '../src/ledger/renewal';
import type { BillingContext } from './billing-context';
import { nextReadModel, publish } from './read-model';

/** The in-advance invoice of a term (base fee, plus the previous term's overage). Null when there is nothing to bill. */
export async function issueBaseInvoice(b: BillingContext,
  term: Term,
  opts: { overageCredits?: number; previous?: Term; plan?: { plan: string; priceCents: number }; key?: string } = {},
): Promise<InvoiceSummary | null> {
  const { overageCredits = 0, previous } = opts;
  const plan = opts.plan?.plan ?? b.s.plan;
  const priceCents = opts.plan?.priceCents ?? b.s.planPriceCents;
  const input = termInvoiceInput({
    key: opts.key ?? `renewal:${b.id}:${term.index}`,
    workspaceId: b.id,
    term,
    issuedAt: Date.now(),
    base: { plan, planName: b.pricing!.plans[plan]?.name ?? plan, priceCents },
    overageCredits,
    previous,
  });
  return input && b.act(`Issue renewal invoice for term ${term.index}`).issueInvoice(input);
}

export async function openTerm(b: BillingContext, term: Term): Promise<void> {
  await b.act(`Open term ${term.index}: grant ${b.s.planCredits} ${b.s.plan} credits`).openTerm(opening(b, term));
}

/** `term` opened with the plan in force. */
function opening(b: BillingContext, term: Term): OpenTermInput {
  const { planCredits, planPriceCents, plan } = b.s;
  return { workspaceId: b.id, termIndex: term.index, termStart: term.start, termEnd: term.end, plan, planCredits, planPriceCents };
}

/** The renewal's ledger work in one activity and one transaction (RENEWAL_LEDGER_IN_ONE_ACTIVITY); publishes the read model it wrote. */
export async function renewTerm(b: BillingContext, term: Term, previous: Term): Promise<RenewedTerm> {
  const readModel = nextReadModel(b);
  const renewed = await b.act(`Renew into term ${term.index}: open it, bill term ${previous.index}'s overage with its fee`).renewTerm({
    term: opening(b, term),
    previous: { index: previous.index, start: previous.start, end: previous.end },
    invoice: { key: `renewal:${b.id}:${term.index}`, issuedAt: Date.now(), planName: b.pricing!.plans[b.s.plan]?.name ?? b.s.plan },
    readModel,
  });
  publish(b);
  return renewed;
}
