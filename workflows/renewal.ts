// The term-end steps: renewal into the next term (scheduled plan change,
// current catalog, overage) or, when cancelled, the end of the subscription.
import { log, patched } from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import type { Term } from '../src/domain/terms';
import { DAY_MS, RETENTION_DAYS } from '../src/domain/workspace';
import { RENEWAL_CURRENT_CATALOG, RETENTION_COLLECTS_DEBT } from './patches';
import type { BillingContext } from './billing-context';
import { charge, finalize, recordUnpaid } from './payments';
import { sync } from './read-model';
import { renewalPlan } from './renewal-plan';
import type { WorkspaceState } from './state';

/** Renews into term `target`; safe to run again after a failure part-way (a blocked step). */
export async function renew(b: BillingContext, target: number): Promise<void> {
  const previous = b.termOf(target - 1);
  if (b.s.termIndex < target) {
    const currentCatalog = patched(RENEWAL_CURRENT_CATALOG);
    // The catalog as it is now, not as it was when the ending term began.
    if (currentCatalog) b.pricing = await b.act('Load the pricing catalog for the new term').getPricing();
    const next = renewalPlan(b.pricing!, b.s, currentCatalog);
    if (next.source === 'scheduled') log.info('applying scheduled plan change at renewal', { from: b.s.plan, to: next.plan });
    if (next.retired) log.warn('plan is no longer in the pricing catalog: renewing on its last terms', { plan: b.s.plan, monthlyCredits: b.s.planCredits, monthlyPriceCents: b.s.planPriceCents });
    const { plan, enterprise, planCredits, planPriceCents, scheduledChange } = next;
    Object.assign(b.s, { plan, enterprise, planCredits, planPriceCents, scheduledChange } satisfies Partial<WorkspaceState>);
    b.s.termIndex = target;
  }
  const term = b.term();
  await openTerm(b, term);
  const overage = await b.act(`Read overage of term ${previous.index}`).overageUsed({
    workspaceId: b.id,
    termIndex: previous.index,
  });
  const invoice = await issueBaseInvoice(b, term, { overageCredits: overage, previous });
  if (invoice && invoice.totalCents > 0) {
    const reason = await charge(b, invoice, 1);
    if (reason !== null) recordUnpaid(b, invoice, 'renewal', reason);
  }
  if (invoice) await finalize(b, invoice);
  await sync(b, `Renewed into term ${term.index}`);
}

/** Rule 12 at term end: no renewal, final overage invoice, plan credits expire, retention starts. */
export async function endSubscription(b: BillingContext): Promise<void> {
  const term = b.term();
  await b.act(`Expire plan credits at cancellation`).expirePlanCredits({
    workspaceId: b.id,
    termIndex: term.index,
    key: `cancel-expire:${b.id}:${term.index}`,
  });
  b.s.status = 'cancelled';
  b.s.phase = 'retention';
  b.s.retentionUntil = term.end + RETENTION_DAYS * DAY_MS;
  await sync(b, 'Cancelled at term end: AI access disabled');
  const overage = await b.act(`Read overage of final term ${term.index}`).overageUsed({ workspaceId: b.id, termIndex: term.index });
  if (overage > 0) {
    const invoice = await b.act('Issue final overage invoice').issueInvoice({
      key: `final:${b.id}:${term.index}`,
      workspaceId: b.id,
      kind: 'final',
      periodStart: term.start,
      periodEnd: term.end,
      issuedAt: Date.now(),
      overage: { credits: overage, periodStart: term.start, periodEnd: term.end },
    });
    if (invoice.totalCents > 0) {
      const reason = await charge(b, invoice, 1);
      // Debt survives cancellation: collected by dunning, webhooks or a re-subscription.
      if (reason !== null && patched(RETENTION_COLLECTS_DEBT)) recordUnpaid(b, invoice, 'final', reason);
    }
    await finalize(b, invoice);
  }
}

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
