// The API's side of the workspace workflow: update-with-start for create,
// updates for lifecycle changes, a signal for Stripe outcomes. Workflow
// failures become CodedErrors (workflow-failures.ts); the API maps their codes.
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { CodedError } from '../domain/failure-codes';
import type { CreateWorkspaceRequest, OnDemandSettings, WorkspaceStatus } from '../domain/workspace';
import {
  cancelUpdate,
  changePlanUpdate,
  createWorkspaceUpdate,
  paymentResultSignal,
  purchaseCreditsUpdate,
  resumeUpdate,
  setFeatureUpdate,
  setLowBalanceThresholdUpdate,
  setOnDemandUpdate,
  setPaymentMethodUpdate,
  stateQuery,
  workflowIdFor,
  type CancelResult,
  type LowBalanceSetting,
  type PaymentSignal,
  type PlanChangeRequest,
  type PlanChangeResult,
  type PurchaseRequest,
  type PurchaseResult,
} from '../../workflows/definitions';
import { BillingBlocked, BillingPlan, BillingStatus, BillingWorkspaceId } from '../../workflows/search-attributes';
import { workspaceBilling } from '../../workflows/workspace-billing';
import { workflowFailureOf } from './workflow-failures';

/** How long an HTTP request waits for the workflow's answer before it is told to retry. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export class BillingWorkflows {
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    opts: { requestTimeoutMs?: number } = {},
  ) {
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private handle(workspaceId: string) {
    return this.client.workflow.getHandle<typeof workspaceBilling>(workflowIdFor(workspaceId));
  }

  /**
   * Runs one request to the workflow, waiting at most requestTimeoutMs: a step
   * that cannot finish (Stripe down, a blocked activity) fails with
   * `still_processing` instead of holding the HTTP request. The workflow keeps
   * working; the same request again (same Idempotency-Key, or the same
   * purchase key) gets its answer once there is one.
   */
  private async call<T>(workspaceId: string, fn: () => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(this.requestTimeoutMs);
    try {
      return await this.client.withAbortSignal(deadline, fn);
    } catch (err) {
      if (deadline.aborted) {
        throw new CodedError(
          'still_processing',
          `workspace '${workspaceId}' did not finish this request within ${this.requestTimeoutMs / 1000} s and is still working on it; send the same request again (same Idempotency-Key) for its answer`,
        );
      }
      throw workflowFailureOf(err, workspaceId);
    }
  }

  /**
   * Idempotent create: starts the workflow if absent, then asks it (same body =
   * same workspace). `anchorAt` imports a subscription whose first term began
   * earlier (epoch ms, within the last month); it is not part of the HTTP API.
   */
  async createWorkspace(req: CreateWorkspaceRequest, opts: { anchorAt?: number } = {}) {
    const startWorkflowOperation = new WithStartWorkflowOperation(workspaceBilling, {
      workflowId: workflowIdFor(req.id),
      taskQueue: this.taskQueue,
      args: [{ kind: 'create', request: req, ...(opts.anchorAt !== undefined ? { anchorAt: opts.anchorAt } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A refused sign-up's run has ended: the next attempt starts a new run. A purged
      // workspace's id is refused by the API before this (read model status `deleted`).
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: BillingWorkspaceId, value: req.id },
        { key: BillingPlan, value: req.plan },
        { key: BillingStatus, value: 'signing_up' satisfies WorkspaceStatus },
        { key: BillingBlocked, value: false },
      ],
      // Fixed at start (SDK 1.24 can set them neither later nor at continue-as-new): only what never
      // changes; the plan, status and everything else are in the current details the workflow keeps up to date.
      staticSummary: `Billing of workspace ${req.id}`,
      staticDetails: `Workspace **${req.id}**: its plan, status, balance and invoices are in the current details below.`,
    });
    return this.call(req.id, () =>
      this.client.workflow.executeUpdateWithStart(createWorkspaceUpdate, { args: [req], startWorkflowOperation }),
    );
  }

  private updateId(name: string, requestId?: string): string {
    return `${name}:${requestId ?? randomUUID()}`;
  }

  changePlan(workspaceId: string, req: PlanChangeRequest, requestId?: string): Promise<PlanChangeResult> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(changePlanUpdate, { args: [req], updateId: this.updateId('plan', requestId) }),
    );
  }

  /**
   * The workflow keeps purchases by idempotency key (a paid key is answered, not
   * charged again; other credits are a 409; a refused or declined attempt may be
   * retried with the same key). So every request is a new update: an update id
   * derived from the key would make Temporal replay a refusal within the run,
   * even after a card was added.
   */
  purchaseCredits(workspaceId: string, req: PurchaseRequest): Promise<PurchaseResult> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(purchaseCreditsUpdate, { args: [req], updateId: this.updateId('purchase') }),
    );
  }

  cancel(workspaceId: string, requestId?: string): Promise<CancelResult> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(cancelUpdate, { args: [], updateId: this.updateId('cancel', requestId) }),
    );
  }

  resume(workspaceId: string, requestId?: string): Promise<CancelResult> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(resumeUpdate, { args: [], updateId: this.updateId('resume', requestId) }),
    );
  }

  setOnDemand(workspaceId: string, settings: OnDemandSettings, requestId?: string): Promise<OnDemandSettings> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(setOnDemandUpdate, { args: [settings], updateId: this.updateId('on-demand', requestId) }),
    );
  }

  setLowBalanceThreshold(workspaceId: string, setting: LowBalanceSetting, requestId?: string): Promise<LowBalanceSetting> {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(setLowBalanceThresholdUpdate, {
        args: [setting],
        updateId: this.updateId('low-balance', requestId),
      }),
    );
  }

  setFeature(workspaceId: string, feature: string, enabled: boolean, requestId?: string) {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(setFeatureUpdate, {
        args: [{ feature, enabled }],
        updateId: this.updateId('feature', requestId),
      }),
    );
  }

  setPaymentMethod(workspaceId: string, paymentMethod: string, requestId?: string) {
    return this.call(workspaceId, () =>
      this.handle(workspaceId).executeUpdate(setPaymentMethodUpdate, {
        args: [{ paymentMethod }],
        updateId: this.updateId('payment-method', requestId),
      }),
    );
  }

  /** Stripe webhook outcomes; the workflow drops duplicates by event id. */
  async signalPayment(workspaceId: string, signal: PaymentSignal): Promise<void> {
    await this.call(workspaceId, () => this.handle(workspaceId).signal(paymentResultSignal, signal));
  }

  state(workspaceId: string) {
    return this.call(workspaceId, () => this.handle(workspaceId).query(stateQuery));
  }
}
