// Runs the steps a decision planned (workflows/decisions/) as activities, one
// after the other. What a step learns (the overage read, the invoice issued,
// its sale key, the balances) is carried to the later steps. The calls, their
// order, arguments and summaries are those the workflow made before the
// decisions were split out, so recorded histories replay unchanged.
import { log, patched } from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import { RETENTION_DAYS } from '../src/domain/workspace';
import type { BillingActivities } from '../activities';
import { FailureCodes } from './definitions';
import { RENEWAL_CURRENT_CATALOG } from './patches';
import type { BillingContext } from './billing-context';
import { paymentStatusSteps } from './decisions/dunning';
import { renewalPlan } from './decisions/renewal-plan';
import type { OnDecline, Step, Steps } from './decisions/steps';
import { charge, finalize, nextSaleKey, recordUnpaid, voidUnpaid } from './charges';
import { runPaymentStep, type PaymentOutcomes, type PaymentStep } from './payment-steps';
import { publish, sync } from './read-model';
import { issueBaseInvoice, openTerm, renewTerm } from './term-activities';
import { failure } from './workflow-failures';

/** What the steps run so far learned. */
export interface Carried extends PaymentOutcomes {
  overage: number;
  invoice: InvoiceSummary | null;
  saleKey: string | null;
  /** The key the sale number replaced (runs from before sale numbers keep it). */
  legacyKey: string | null;
  balance: Awaited<ReturnType<BillingActivities['getBalances']>> | null;
}

/**
 * Runs `steps` in order; a failing step stops the plan (the caller's step()
 * retries it from a new plan), and so does an outcome the plan leaves to its
 * caller (`stopped`).
 */
export async function runSteps(b: BillingContext, steps: Steps, from?: Carried): Promise<Carried> {
  // `from`: what an earlier plan learned (the sign-up's invoice, delivered after the create is answered).
  const carried: Carried = { ...(from ?? { overage: 0, invoice: null, saleKey: null, legacyKey: null, balance: null, settled: null }), stopped: null };
  for (const s of steps) {
    await runStep(b, s, carried);
    if (carried.stopped) break;
  }
  return carried;
}

async function runStep(b: BillingContext, step: Step, c: Carried): Promise<void> {
  switch (step.kind) {
    case 'adopt-next-term':
      return adoptNextTerm(b, step.target);
    case 'open-term':
      return openTerm(b, step.term);
    case 'renew-term': {
      const r = await renewTerm(b, step.term, step.previous);
      c.overage = r.overage;
      c.invoice = r.invoice;
      return;
    }
    case 'read-overage': {
      const summary = step.final ? `Read overage of final term ${step.termIndex}` : `Read overage of term ${step.termIndex}`;
      c.overage = await b.act(summary).overageUsed({ workspaceId: b.id, termIndex: step.termIndex });
      return;
    }
    case 'issue-base-invoice': {
      const { term, previous, plan, key } = step;
      c.invoice = await issueBaseInvoice(b, term, { overageCredits: c.overage, previous, plan, key });
      return;
    }
    case 'issue-final-invoice': {
      if (c.overage <= 0) return;
      const { term } = step;
      c.invoice = await b.act('Issue final overage invoice').issueInvoice({
        key: `final:${b.id}:${term.index}`,
        workspaceId: b.id,
        kind: 'final',
        periodStart: term.start,
        periodEnd: term.end,
        issuedAt: Date.now(),
        overage: { credits: c.overage, periodStart: term.start, periodEnd: term.end },
      });
      return;
    }
    case 'issue-upgrade-invoice': {
      const { from, to, term } = step;
      c.saleKey = nextSaleKey(b, 'upgrade', step.legacyKey);
      c.invoice = await b.act(`Issue upgrade invoice ${from.plan} -> ${to.plan}`).issueInvoice({
        key: c.saleKey,
        workspaceId: b.id,
        kind: 'upgrade',
        periodStart: Date.now(),
        periodEnd: term.end,
        issuedAt: Date.now(),
        upgrade: {
          fromPlan: from.plan,
          toPlan: to.plan,
          fromPriceCents: from.priceCents,
          toPriceCents: to.priceCents,
          termStart: term.start,
          termEnd: term.end,
          at: Date.now(),
        },
      });
      return;
    }
    case 'issue-purchase-invoice': {
      const { credits, term } = step;
      c.legacyKey = step.legacyKey;
      c.saleKey = nextSaleKey(b, 'purchase', step.legacyKey);
      c.invoice = await b.act(`Issue invoice for ${credits} purchased credits`).issueInvoice({
        key: c.saleKey,
        workspaceId: b.id,
        kind: 'credit_purchase',
        // Shown as the term the purchase was made in; the credits themselves never expire.
        periodStart: term.start,
        periodEnd: term.end,
        issuedAt: Date.now(),
        purchase: { credits },
      });
      return;
    }
    case 'grant-purchased-credits': {
      // Purchases from runs before sale numbers are granted under their purchase key.
      const key = c.saleKey === c.legacyKey ? step.purchaseKey : c.saleKey!;
      await b.act(`Grant ${step.credits} purchased credits`).grantPurchasedCredits({ workspaceId: b.id, credits: step.credits, key });
      return;
    }
    case 'charge':
      return chargeIssued(b, c.invoice, step.onDecline, c);
    case 'finalize-invoice':
      if (c.invoice) await finalize(b, c.invoice);
      return;
    case 'expire-plan-credits':
      await b.act('Expire plan credits at cancellation').expirePlanCredits({ workspaceId: b.id, termIndex: step.termIndex, key: step.key });
      return;
    case 'replace-plan-bucket': {
      const { termIndex, plan, planCredits, planPriceCents } = step;
      const key = c.saleKey!;
      await b.act(`Replace plan bucket with ${planCredits} ${plan} credits`).replacePlanBucket({ workspaceId: b.id, termIndex, plan, planCredits, planPriceCents, key });
      return;
    }
    case 'read-balances':
      c.balance = await b.act('Read balances').getBalances({ workspaceId: b.id });
      return;
    case 'purge-usage-data':
      await b.act(`Purge usage and ledger detail after ${RETENTION_DAYS} days`).purgeUsageData({ workspaceId: b.id, key: step.key });
      return;
    case 'update-state':
      // Histories from before the patch id never had this change.
      if (step.onlyIfPatched === undefined || patched(step.onlyIfPatched)) Object.assign(b.s, step.patch);
      return;
    case 'sync':
      return sync(b, step.summary);
    case 'publish':
      return publish(b);
    case 'update-payment-status':
      for (const s of paymentStatusSteps(b.s)) await runStep(b, s, c);
      return;
    default:
      return runPaymentStep(b, step satisfies PaymentStep, c);
  }
}

/** The next term's plan and terms: a scheduled change, else the plan on the catalog as it is now (loaded again). */
async function adoptNextTerm(b: BillingContext, target: number): Promise<void> {
  const currentCatalog = patched(RENEWAL_CURRENT_CATALOG);
  if (currentCatalog) b.pricing = await b.act('Load the pricing catalog for the new term').getPricing();
  const next = renewalPlan(b.pricing!, b.s, currentCatalog);
  if (next.source === 'scheduled') log.info('applying scheduled plan change at renewal', { from: b.s.plan, to: next.plan });
  if (next.retired) log.warn('plan is no longer in the pricing catalog: renewing on its last terms', { plan: b.s.plan, monthlyCredits: b.s.planCredits, monthlyPriceCents: b.s.planPriceCents });
  const { plan, enterprise, planCredits, planPriceCents, scheduledChange } = next;
  Object.assign(b.s, { plan, enterprise, planCredits, planPriceCents, scheduledChange });
  b.s.termIndex = target;
}

/** Charges the invoice issued when it has an amount (attempt 1); a decline is handled as the plan says. */
async function chargeIssued(b: BillingContext, invoice: InvoiceSummary | null, onDecline: OnDecline, c: Carried): Promise<void> {
  if (!invoice || invoice.totalCents <= 0) return;
  const reason = await charge(b, invoice, 1);
  if (reason === null) return;
  if (onDecline.then === 'stop') {
    c.stopped = { declined: { invoice, reason } };
    return;
  }
  if (onDecline.then === 'void-and-refuse') {
    await voidUnpaid(b, invoice, reason);
    throw failure(FailureCodes.paymentFailed, `${onDecline.refusal}${reason}${onDecline.suffix ?? ''}`, { reason, invoiceId: invoice.id });
  }
  // Debt survives cancellation only since the patch: older histories wrote it off.
  if (onDecline.onlyIfPatched === undefined || patched(onDecline.onlyIfPatched)) recordUnpaid(b, invoice, onDecline.kind, reason);
}
