// The activities that open a term and bill it in advance: used by sign-up,
// renewal (workflows/executor.ts) and re-subscription.
import type { InvoiceSummary } from '../src/domain/invoice';
import type { Term } from '../src/domain/terms';
import type { BillingContext } from './billing-context';

/** The in-advance invoice of a term (base fee, plus the previous term's overage). Null when there is nothing to bill. */
export async function issueBaseInvoice(b: BillingContext,
  term: Term,
  opts: { overageCredits?: number; previous?: Term; plan?: { plan: string; priceCents: number }; key?: string } = {},
): Promise<InvoiceSummary | null> {
  const { overageCredits = 0, previous } = opts;
  const plan = opts.plan?.plan ?? b.s.plan;
  const priceCents = opts.plan?.priceCents ?? b.s.planPriceCents;
  if (priceCents === 0 && overageCredits === 0) return null;
  return b.act(`Issue renewal invoice for term ${term.index}`).issueInvoice({
    key: opts.key ?? `renewal:${b.id}:${term.index}`,
    workspaceId: b.id,
    kind: 'renewal',
    periodStart: term.start,
    periodEnd: term.end,
    issuedAt: Date.now(),
    base: { plan, planName: b.pricing!.plans[plan]?.name ?? plan, priceCents },
    ...(overageCredits > 0 && previous
      ? { overage: { credits: overageCredits, periodStart: previous.start, periodEnd: previous.end } }
      : {}),
  });
}

export async function openTerm(b: BillingContext, term: Term): Promise<void> {
  await b.act(`Open term ${term.index}: grant ${b.s.planCredits} ${b.s.plan} credits`).openTerm({
    workspaceId: b.id,
    termIndex: term.index,
    termStart: term.start,
    termEnd: term.end,
    plan: b.s.plan,
    planCredits: b.s.planCredits,
    planPriceCents: b.s.planPriceCents,
  });
}
