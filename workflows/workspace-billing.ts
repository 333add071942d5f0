// One long-running workflow per workspace (id `workspace-billing/<id>`): it
// owns the term loop, every state change and the timers (SPEC section 6).
// This file is the entry: the workflow function and the message API with its
// validators. The main loop is main-loop.ts; pure decisions (decisions/) plan
// steps that executor.ts runs as activities; the other steps live in modules
// taking the run's BillingContext (sign-up, retention, payments, plan-change,
// account-updates, read-model, execution). Each run serves one term (or the
// retention period) and continues-as-new.
import { patched, setHandler } from '@temporalio/workflow';
import { canonicalJson } from '../src/domain/canonical-json';
import { resolvePlan, validateFeatureName, validateLowBalanceThreshold, validateOnDemand, validatePurchaseCredits, validateRequestText } from '../src/domain/workspace';
import { cancelUpdate, changePlanUpdate, createWorkspaceUpdate, FailureCodes, paymentResultSignal, purchaseCreditsUpdate, resumeUpdate, retryBlockedStepUpdate, setFeatureUpdate, setLowBalanceThresholdUpdate, setOnDemandUpdate, setPaymentMethodUpdate, stateQuery } from './definitions';
import { PLAN_CHANGE_WAITS_FOR_RENEWAL } from './patches';
import { MAX_REMEMBERED, type WorkspaceBillingInput } from './state';
import { failure, rule } from './workflow-failures';
import { BillingContext } from './billing-context';
import { onPurchase, onSetOnDemand, onSetFeature, onSetLowBalanceThreshold, onSetPaymentMethod } from './account-updates';
import { onRetryBlockedStep, planChangeMayRun, once, requireSubscribed } from './execution';
import { onChangePlan } from './plan-change';
import { onCancel, onResume } from './retention';
import { run } from './main-loop';
import { onCreate } from './sign-up';

function registerHandlers(b: BillingContext): void {
  setHandler(stateQuery, () => ({
    workspace: b.snapshot(),
    phase: b.s.phase,
    enterprise: b.s.enterprise,
    scheduledChange: b.s.scheduledChange,
    hasPaymentMethod: b.s.paymentMethod !== null,
    unpaidInvoices: b.s.unpaid,
    pricing: b.pricing,
  }));

  setHandler(paymentResultSignal, (sig) => {
    // Signals cannot be refused: duplicates and unknown invoices are dropped in the main loop.
    if (b.s.seenPaymentEvents.includes(sig.eventId)) return;
    b.s.seenPaymentEvents.push(sig.eventId);
    if (b.s.seenPaymentEvents.length > MAX_REMEMBERED) b.s.seenPaymentEvents.shift();
    b.s.pendingPayments.push(sig);
  });

  setHandler(createWorkspaceUpdate, () => onCreate(b), {
    validator: (req) => {
      rule(() => validateRequestText(req));
      if (canonicalJson(req) !== canonicalJson(b.s.request)) {
        throw failure(FailureCodes.conflict, `workspace '${b.id}' already exists with different details`);
      }
    },
  });

  setHandler(changePlanUpdate, (req) => {
    const waitsForRenewal = patched(PLAN_CHANGE_WAITS_FOR_RENEWAL);
    return once(b, (id) => onChangePlan(b, req, id, waitsForRenewal), waitsForRenewal ? () => planChangeMayRun(b) : undefined);
  }, {
    validator: (req) => {
      requireSubscribed(b, 'change the plan');
      rule(() => validateRequestText(req));
      if (b.pricing) rule(() => resolvePlan(b.pricing!, req.plan, req.enterprise));
    },
  });

  setHandler(purchaseCreditsUpdate, (req) => once(b, () => onPurchase(b, req)), {
    validator: (req) => {
      requireSubscribed(b, 'buy credits');
      if (b.pricing) rule(() => validatePurchaseCredits(b.pricing!, req.credits));
      if (typeof req.idempotencyKey !== 'string' || req.idempotencyKey.length === 0 || req.idempotencyKey.length > 200) {
        throw failure(FailureCodes.validation, 'idempotencyKey is required: 1 to 200 characters');
      }
      rule(() => validateRequestText(req));
    },
  });

  setHandler(cancelUpdate, () => once(b, () => onCancel(b)), {
    validator: () => requireSubscribed(b, 'cancel'),
  });
  setHandler(resumeUpdate, () => once(b, (id) => onResume(b, id)), {
    validator: () => requireSubscribed(b, 'resume'),
  });

  setHandler(setOnDemandUpdate, (settings) => once(b, () => onSetOnDemand(b, settings)), {
    validator: (settings) => {
      requireSubscribed(b, 'change on-demand settings');
      rule(() => validateOnDemand(settings));
      rule(() => validateRequestText(settings));
    },
  });

  setHandler(setFeatureUpdate, (req) => once(b, () => onSetFeature(b, req)), {
    validator: (req) => {
      requireSubscribed(b, 'switch features');
      rule(() => validateFeatureName(req.feature));
      rule(() => validateRequestText(req));
      if (typeof req.enabled !== 'boolean') throw failure(FailureCodes.validation, 'enabled must be a boolean');
    },
  });

  setHandler(setLowBalanceThresholdUpdate, (req) => once(b, () => onSetLowBalanceThreshold(b, req)), {
    validator: (req) => {
      requireSubscribed(b, 'set the low-balance threshold');
      rule(() => validateLowBalanceThreshold(req.threshold));
    },
  });

  setHandler(retryBlockedStepUpdate, () => onRetryBlockedStep(b), {
    validator: () => {
      if (b.blocked === null) throw failure(FailureCodes.invalidState, 'no step of this workspace is blocked');
    },
  });

  setHandler(setPaymentMethodUpdate, (req) => once(b, () => onSetPaymentMethod(b, req)), {
    validator: (req) => {
      requireSubscribed(b, 'set a payment method');
      if (typeof req.paymentMethod !== 'string' || !/^pm_[A-Za-z0-9_]{1,200}$/.test(req.paymentMethod)) {
        throw failure(FailureCodes.validation, 'paymentMethod must be a Stripe payment method id (pm_...)');
      }
    },
  });
}

export async function workspaceBilling(input: WorkspaceBillingInput): Promise<void> {
  const b = new BillingContext(input);
  registerHandlers(b);
  await run(b);
}

export type { WorkspaceBillingInput, WorkspaceState } from './state';
