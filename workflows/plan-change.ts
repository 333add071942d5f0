// Plan changes (SPEC rule 5): an upgrade is paid now and replaces the plan
// bucket, a downgrade is scheduled for renewal.
import { patched } from '@temporalio/workflow';
import { classifyPlanChange, resolvePlan } from '../src/domain/workspace';
import { PLAN_CHANGE_SAYS_WITHDRAWN } from './patches';
import { FailureCodes, type PlanChangeRequest, type PlanChangeResult } from './definitions';
import { failure, paymentMethodRequired, rule } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { termEndPending } from './execution';
import { charge, voidUnpaid, finalize, nextSaleKey } from './payments';
import { sync } from './read-model';
import { resubscribe } from './retention';

export async function onChangePlan(b: BillingContext, req: PlanChangeRequest, requestId: string, waitsForRenewal: boolean): Promise<PlanChangeResult> {
  const enterprise = req.enterprise ?? null;
  const target = rule(() => resolvePlan(b.pricing!, req.plan, enterprise));
  if (waitsForRenewal && termEndPending(b)) {
    // The term-end step is blocked part-way: nothing is charged or changed until it has finished.
    throw failure(
      FailureCodes.renewalPending,
      'the renewal at the end of the current term has not completed yet (it is being retried); nothing was charged: try the plan change again later with a new Idempotency-Key',
    );
  }
  if (b.s.phase === 'retention') {
    await resubscribe(b, req.plan, enterprise, requestId);
    return { effective: 'immediately', plan: req.plan, currentPlan: b.s.plan, effectiveAt: b.s.anchor };
  }
  const term = b.term();
  const kind = classifyPlanChange(
    { plan: b.s.plan, enterprise: b.s.enterprise, priceCents: b.s.planPriceCents },
    { plan: req.plan, enterprise, priceCents: target.monthlyPriceCents },
  );
  if (kind === 'unchanged') {
    // Choosing the current plan again drops a scheduled change.
    const withdrawn = b.s.scheduledChange !== null;
    if (withdrawn) {
      b.s.scheduledChange = null;
      await sync(b, 'Scheduled plan change withdrawn');
    }
    const effective = patched(PLAN_CHANGE_SAYS_WITHDRAWN) ? (withdrawn ? 'withdrawn' : 'unchanged') : 'immediately';
    return { effective, plan: req.plan, currentPlan: b.s.plan, effectiveAt: Date.now() };
  }
  if (kind === 'scheduled') {
    b.s.scheduledChange = { plan: req.plan, ...(req.enterprise ? { enterprise: req.enterprise } : {}) };
    await sync(b, `Plan change to ${req.plan} scheduled for renewal`);
    return { effective: 'at_renewal', plan: req.plan, currentPlan: b.s.plan, effectiveAt: term.end };
  }
  if (!b.s.paymentMethod) {
    throw paymentMethodRequired(b.id, `upgrading to '${req.plan}' needs a payment method on file`);
  }
  // Rule 5: payment first; the plan bucket is replaced only after it succeeds.
  const saleKey = nextSaleKey(b, 'upgrade', `upgrade:${b.id}:${requestId}`);
  const invoice = await b.act(`Issue upgrade invoice ${b.s.plan} -> ${req.plan}`).issueInvoice({
    key: saleKey,
    workspaceId: b.id,
    kind: 'upgrade',
    periodStart: Date.now(),
    periodEnd: term.end,
    issuedAt: Date.now(),
    upgrade: {
      fromPlan: b.s.plan,
      toPlan: req.plan,
      fromPriceCents: b.s.planPriceCents,
      toPriceCents: target.monthlyPriceCents,
      termStart: term.start,
      termEnd: term.end,
      at: Date.now(),
    },
  });
  if (invoice.totalCents > 0) {
    const reason = await charge(b, invoice, 1);
    if (reason !== null) {
      await voidUnpaid(b, invoice, reason);
      throw failure(FailureCodes.paymentFailed, `upgrade payment failed: ${reason}; nothing changed`, {
        reason,
        invoiceId: invoice.id,
      });
    }
  }
  await b.act(`Replace plan bucket with ${target.monthlyCredits} ${req.plan} credits`).replacePlanBucket({
    workspaceId: b.id,
    termIndex: term.index,
    plan: req.plan,
    planCredits: target.monthlyCredits,
    planPriceCents: target.monthlyPriceCents,
    key: saleKey,
  });
  Object.assign(b.s, {
    plan: req.plan,
    enterprise,
    planCredits: target.monthlyCredits,
    planPriceCents: target.monthlyPriceCents,
    scheduledChange: null,
  });
  await sync(b, `Upgraded to ${req.plan}`);
  await finalize(b, invoice);
  const balance = await b.act('Read balances').getBalances({ workspaceId: b.id });
  return { effective: 'immediately', plan: req.plan, currentPlan: req.plan, effectiveAt: Date.now(), invoiceId: invoice.id, balance };
}
