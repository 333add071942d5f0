// Plan changes (SPEC rule 5): decided by decisions/plan-change.ts, carried
// out by the executor; during retention a plan change is a re-subscription.
import { resolvePlan } from '../src/domain/workspace';
import type { PlanChangeRequest, PlanChangeResult } from './definitions';
import { patched } from '@temporalio/workflow';
import { PLAN_CHANGE_SAYS_WITHDRAWN } from './patches';
import { refusal, rule } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { decidePlanChange } from './decisions/plan-change';
import { termEndPending } from './execution';
import { runSteps } from './executor';
import { resubscribe } from './retention';

export async function onChangePlan(b: BillingContext, req: PlanChangeRequest, requestId: string, waitsForRenewal: boolean): Promise<PlanChangeResult> {
  const enterprise = req.enterprise ?? null;
  const target = rule(() => resolvePlan(b.pricing!, req.plan, enterprise));
  // The term-end step is blocked part-way: nothing is charged or changed until it has finished.
  const renewalPending = waitsForRenewal && termEndPending(b);
  const decision = decidePlanChange(b.s, req, target, { renewalPending, requestId });
  switch (decision.kind) {
    case 'refuse':
      throw refusal(b.id, decision.code, decision.message);
    case 'resubscribe':
      await resubscribe(b, req.plan, enterprise, requestId);
      return { effective: 'immediately', plan: req.plan, currentPlan: b.s.plan, effectiveAt: b.s.anchor };
    case 'schedule':
      await runSteps(b, decision.steps);
      return { effective: 'at_renewal', plan: req.plan, currentPlan: b.s.plan, effectiveAt: decision.effectiveAt };
    case 'upgrade': {
      const done = await runSteps(b, decision.steps);
      const invoiceId = done.invoice!.id;
      return { effective: 'immediately', plan: req.plan, currentPlan: req.plan, effectiveAt: Date.now(), invoiceId, balance: done.balance! };
    }
    default: {
      await runSteps(b, decision.steps);
      // Runs before the patch answered 'immediately' for both.
      const says = patched(PLAN_CHANGE_SAYS_WITHDRAWN);
      const effective = !says ? 'immediately' : decision.kind === 'withdraw' ? 'withdrawn' : 'unchanged';
      return { effective, plan: req.plan, currentPlan: b.s.plan, effectiveAt: Date.now() };
    }
  }
}
