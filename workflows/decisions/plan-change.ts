// A plan change (SPEC rule 5), decided without Temporal: an upgrade is paid
// now and replaces the plan bucket, a cheaper plan is scheduled for renewal,
// choosing the plan in force again withdraws a scheduled change; during
// retention it is a re-subscription.
import type { EnterpriseTerms } from '../../src/domain/pricing';
import { classifyPlanChange } from '../../src/domain/workspace';
import { FailureCodes } from '../../src/domain/failure-codes';
import type { PlanChangeRequest } from '../definitions';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';
import { currentTerm } from './terms';

export type PlanChangeDecision =
  | { kind: 'refuse'; code: string; message: string }
  | { kind: 'resubscribe' }
  | { kind: 'unchanged' | 'withdraw' | 'upgrade'; effective: 'immediately'; steps: Steps }
  | { kind: 'schedule'; effective: 'at_renewal'; effectiveAt: number; steps: Steps };

/**
 * `target`: the requested plan's terms (resolved from the catalog);
 * `renewalPending`: the term-end step has not finished (it is blocked), so
 * nothing may be charged or changed; `requestId`: the update id (the key of
 * upgrades recorded before sale numbers).
 */
export function decidePlanChange(
  s: WorkspaceState,
  req: PlanChangeRequest,
  target: EnterpriseTerms,
  ctx: { renewalPending: boolean; requestId: string },
): PlanChangeDecision {
  const enterprise = req.enterprise ?? null;
  if (ctx.renewalPending) {
    return {
      kind: 'refuse',
      code: FailureCodes.renewalPending,
      message:
        'the renewal at the end of the current term has not completed yet (it is being retried); nothing was charged: try the plan change again later with a new Idempotency-Key',
    };
  }
  if (s.phase === 'retention') return { kind: 'resubscribe' };
  const term = currentTerm(s);
  const kind = classifyPlanChange(
    { plan: s.plan, enterprise: s.enterprise, priceCents: s.planPriceCents },
    { plan: req.plan, enterprise, priceCents: target.monthlyPriceCents },
  );
  if (kind === 'unchanged') {
    if (!s.scheduledChange) return { kind: 'unchanged', effective: 'immediately', steps: [] };
    const steps: Steps = [{ kind: 'update-state', patch: { scheduledChange: null } }, { kind: 'sync', summary: 'Scheduled plan change withdrawn' }];
    return { kind: 'withdraw', effective: 'immediately', steps };
  }
  if (kind === 'scheduled') {
    const scheduledChange = { plan: req.plan, ...(req.enterprise ? { enterprise: req.enterprise } : {}) };
    const steps: Steps = [{ kind: 'update-state', patch: { scheduledChange } }, { kind: 'sync', summary: `Plan change to ${req.plan} scheduled for renewal` }];
    return { kind: 'schedule', effective: 'at_renewal', effectiveAt: term.end, steps };
  }
  if (!s.paymentMethod) {
    return { kind: 'refuse', code: FailureCodes.paymentMethodRequired, message: `upgrading to '${req.plan}' needs a payment method on file` };
  }
  const plan = { plan: req.plan, planCredits: target.monthlyCredits, planPriceCents: target.monthlyPriceCents };
  // Rule 5: payment first; the plan bucket is replaced only after it succeeds.
  const steps: Steps = [
    {
      kind: 'issue-upgrade-invoice',
      from: { plan: s.plan, priceCents: s.planPriceCents },
      to: { plan: req.plan, priceCents: target.monthlyPriceCents },
      term,
      legacyKey: `upgrade:${s.request.id}:${ctx.requestId}`,
    },
    { kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'upgrade payment failed: ', suffix: '; nothing changed' } },
    { kind: 'replace-plan-bucket', termIndex: term.index, ...plan },
    { kind: 'update-state', patch: { ...plan, enterprise, scheduledChange: null } },
    { kind: 'sync', summary: `Upgraded to ${req.plan}` },
    { kind: 'finalize-invoice' },
    { kind: 'read-balances' },
  ];
  return { kind: 'upgrade', effective: 'immediately', steps };
}
