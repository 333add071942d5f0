// The messages of the workspace billing workflow: what the API sends
// (updates, signals) and reads (queries). Shared by workflow and client code.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { PAYMENT_SIGNAL_NAME, type PaymentSignal } from '../src/domain/payment-signal';
import type { EnterpriseTerms, PlanId, PricingConfig } from '../src/domain/pricing';
import type {
  CreateWorkspaceRequest,
  OnDemandSettings,
  WorkspaceSnapshot,
} from '../src/domain/workspace';

export type { PaymentSignal };

export const workflowIdFor = (workspaceId: string) => `workspace-billing/${workspaceId}`;

/** The workflow's refusals are ApplicationFailures whose type is a code of the one taxonomy. */
export { FailureCodes } from '../src/domain/failure-codes';

export interface PlanChangeRequest {
  plan: PlanId;
  enterprise?: EnterpriseTerms;
}
export interface PlanChangeResult {
  /**
   * `withdrawn`: the current plan was chosen again and a scheduled change was dropped;
   * `unchanged`: the current plan was chosen again and nothing was scheduled
   * (runs before PLAN_CHANGE_SAYS_WITHDRAWN answered `immediately` for both).
   */
  effective: 'immediately' | 'at_renewal' | 'withdrawn' | 'unchanged';
  plan: PlanId;
  /** The plan in force now (differs from `plan` when the change is scheduled). */
  currentPlan: PlanId;
  effectiveAt: number;
  invoiceId?: string;
  balance?: { plan: number; purchased: number; total: number };
}

export interface PurchaseRequest {
  credits: number;
  idempotencyKey: string;
}
export interface PurchaseResult {
  id: string;
  credits: number;
  amountCents: number;
  status: 'paid';
  invoiceId: string;
}

export interface LowBalanceSetting {
  threshold: number | null;
}

export interface CancelResult {
  status: WorkspaceSnapshot['status'];
  cancelAt: number | null;
  retentionUntil: number | null;
}

export interface CreateResult {
  created: boolean;
  workspace: WorkspaceSnapshot;
}


export interface UnpaidInvoice {
  invoiceId: string;
  kind: 'renewal' | 'final';
  /** Charge attempts made (the next one's number is attempts + 1: it names its Stripe idempotency key). */
  attempts: number;
  /**
   * Of those, attempts made outside the dunning schedule (at once after a new card or a successful
   * payment): they do not move the 1/3/7-day retries (absent in states from older runs: 0).
   */
  extraAttempts?: number;
  firstFailedAt: number;
  lastReason: string;
  /** Absent in states from older runs. */
  totalCents?: number;
}

export interface WorkspaceBillingView {
  workspace: WorkspaceSnapshot;
  phase: 'setup' | 'subscribed' | 'retention' | 'deleted' | 'setup_failed';
  enterprise: EnterpriseTerms | null;
  scheduledChange: PlanChangeRequest | null;
  hasPaymentMethod: boolean;
  unpaidInvoices: UnpaidInvoice[];
  pricing: PricingConfig | null;
}

export const createWorkspaceUpdate = defineUpdate<CreateResult, [CreateWorkspaceRequest]>('createWorkspace');
export const changePlanUpdate = defineUpdate<PlanChangeResult, [PlanChangeRequest]>('changePlan');
export const purchaseCreditsUpdate = defineUpdate<PurchaseResult, [PurchaseRequest]>('purchaseCredits');
export const cancelUpdate = defineUpdate<CancelResult, []>('cancel');
export const resumeUpdate = defineUpdate<CancelResult, []>('resume');
export const setOnDemandUpdate = defineUpdate<OnDemandSettings, [OnDemandSettings]>('setOnDemand');
export const setFeatureUpdate = defineUpdate<{ disabledFeatures: string[] }, [{ feature: string; enabled: boolean }]>('setFeature');
/** Rule 11: the workspace's low-balance threshold in credits; null = the default percentage of the plan. */
export const setLowBalanceThresholdUpdate = defineUpdate<LowBalanceSetting, [LowBalanceSetting]>('setLowBalanceThreshold');
export const setPaymentMethodUpdate = defineUpdate<{ paymentMethod: string }, [{ paymentMethod: string }]>('setPaymentMethod');
/**
 * Ops: retry the blocked step of the main loop now instead of at the end of its
 * pause (after fixing the cause). Refused when no step is blocked; answers once
 * the retry has run: `blocked` is null when the step went through, else why it
 * is still blocked.
 */
export const retryBlockedStepUpdate = defineUpdate<RetryBlockedStepResult, []>('retryBlockedStep');
export interface RetryBlockedStepResult {
  blocked: string | null;
}
/** Stripe webhook outcomes, routed here by the API's webhook endpoint. */
export const paymentResultSignal = defineSignal<[PaymentSignal]>(PAYMENT_SIGNAL_NAME);
export const stateQuery = defineQuery<WorkspaceBillingView>('state');
