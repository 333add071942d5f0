// One long-running workflow per workspace (id `workspace-billing/<id>`): it
// owns the term loop, every state change and the timers (SPEC section 6).
// State and handlers live in the WorkspaceBilling class; the main function
// runs one term (or the retention period) per run and continues-as-new.
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  currentUpdateInfo,
  log,
  metricMeter,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import type { EnterpriseTerms, PricingConfig } from '../src/domain/pricing';
import { canonicalJson } from '../src/domain/canonical-json';
import { normalizeFeature } from '../src/domain/features';
import { addMonthsClamped, termAt, termContaining, type Term } from '../src/domain/terms';
import {
  BillingRuleError,
  classifyPlanChange,
  validateImportedAnchor,
  DAY_MS,
  dunningRetryAt,
  MAX_PAYMENT_ATTEMPTS,
  renewalTerms,
  resolvePlan,
  RETENTION_DAYS,
  validateCreateRequest,
  validateFeatureName,
  validateLowBalanceThreshold,
  validateOnDemand,
  validatePurchaseCredits,
  validateRequestText,
  type CreateWorkspaceRequest,
  type OnDemandSettings,
  type WorkspaceSnapshot,
  type WorkspaceStatus,
} from '../src/domain/workspace';
import { glanceLines, noticingAccount, type AccountGlance } from './account-glance';
import { billingActivities, type ActivityCall } from './activity-calls';
import {
  cancelUpdate,
  changePlanUpdate,
  createWorkspaceUpdate,
  FailureCodes,
  paymentResultSignal,
  purchaseCreditsUpdate,
  resumeUpdate,
  retryBlockedStepUpdate,
  setFeatureUpdate,
  setLowBalanceThresholdUpdate,
  setOnDemandUpdate,
  setPaymentMethodUpdate,
  stateQuery,
  type CancelResult,
  type CreateResult,
  type LowBalanceSetting,
  type PaymentSignal,
  type PlanChangeRequest,
  type PlanChangeResult,
  type PurchaseRequest,
  type PurchaseResult,
  type RetryBlockedStepResult,
  type UnpaidInvoice,
  type WorkspaceBillingView,
} from './definitions';
import { BillingBlocked, BillingPlan, BillingStatus, BillingTermEnd, BillingWorkspaceId } from './search-attributes';

type Phase = WorkspaceBillingView['phase'];

/** Everything a run hands to the next one through continue-as-new (JSON, epoch ms). */
export interface WorkspaceState {
  request: CreateWorkspaceRequest;
  createAcknowledged: boolean;
  phase: Phase;
  setupFailure: { code: string; message: string } | null;
  plan: string;
  enterprise: EnterpriseTerms | null;
  planCredits: number;
  planPriceCents: number;
  status: WorkspaceStatus;
  /** Start of the current subscription; terms count from it. */
  anchor: number;
  /**
   * Workspace-wide term counter when the anchor was set (re-subscribing starts
   * a new anchor); negative for an imported subscription whose current term is
   * not its first.
   */
  anchorTermIndex: number;
  /** Workspace-wide term counter: unique across re-subscriptions, so business keys never collide. */
  termIndex: number;
  scheduledChange: PlanChangeRequest | null;
  cancelAt: number | null;
  retentionUntil: number | null;
  onDemand: OnDemandSettings;
  disabledFeatures: string[];
  paymentMethod: string | null;
  unpaid: UnpaidInvoice[];
  pendingPayments: PaymentSignal[];
  /** A charge succeeded while invoices were unpaid: the main loop retries them at once (absent in older states). */
  collectUnpaid?: boolean;
  seenPaymentEvents: string[];
  /** Results of recent mutating updates by update id: retries across runs get the first answer. */
  results: Array<[string, unknown]>;
  /** Refusals of recent updates by update id (absent in states from older runs). */
  refusals?: Array<[string, { type: string; message: string; details: unknown[] }]>;
  purchases: Array<[string, { credits: number; attempts: number; result: PurchaseResult | null }]>;
  /**
   * Upgrades and purchase attempts charged so far: their invoices and ledger
   * entries are keyed by this number, never by a client's key, so a reused or
   * forgotten key cannot meet an earlier sale's invoice (absent in older states).
   */
  sales?: number;
  /** Rule 11 threshold in credits, null = default (absent in states from older runs: the read model keeps its value). */
  lowBalanceThreshold?: number | null;
  /** Version of the last read-model write (absent in states from older runs). */
  syncVersion?: number;
  /** Card and balance as the workflow last learned them, for ops' current details (absent in older states). */
  glance?: AccountGlance;
}

export type WorkspaceBillingInput =
  /**
   * `anchorAt` imports a subscription that already runs elsewhere: terms keep
   * counting from that anchor, the workspace starts in the one containing now
   * (billed in full, earlier ones were billed elsewhere) and renews on the old
   * day. Absent, the subscription starts now.
   */
  | { kind: 'create'; request: CreateWorkspaceRequest; anchorAt?: number }
  | { kind: 'continue'; state: WorkspaceState };

const MAX_REMEMBERED = 200;

// patched() ids: behaviour changes that recorded histories must replay without.
/** Payment signals are settled one by one (late successes refunded), each dequeued only once handled. */
const SETTLE_EVERY_PAYMENT_SIGNAL = 'settle-every-payment-signal';
/** Sign-up: invisible until paid, one invoice per attempt, a refusal marked `signup_failed`. */
const SIGNUP_ATTEMPTS = 'signup-attempts';
/** Renewal: reload the catalog and renew on its current price and allocation. */
const RENEWAL_CURRENT_CATALOG = 'renewal-current-catalog';
/** Cancellation and retention keep unpaid invoices collectable; re-subscribing collects them first. */
const RETENTION_COLLECTS_DEBT = 'retention-collects-debt';
/** A plan change waits for a due renewal, and is refused with renewal_pending while that step is blocked. */
const PLAN_CHANGE_WAITS_FOR_RENEWAL = 'plan-change-waits-for-renewal';
/** exclusive(): of several waiters released in one pass, only the first takes the lock. */
const EXCLUSIVE_ONE_AT_A_TIME = 'exclusive-one-at-a-time';
/** A successful payment collects the other unpaid invoices at once. */
const PATCH_COLLECT_AFTER_PAYMENT = 'collect-unpaid-after-successful-payment';
/** The BillingBlocked search attribute: set while a step is blocked, cleared as soon as it went through. */
const BLOCKED_VISIBLE = 'billing-blocked-search-attribute';
/** A blocked step's pause can be cut short by ops (retryBlockedStep update). */
const RETRY_BLOCKED_ON_REQUEST = 'retry-blocked-step-on-request';

/** Dunning attempts on the 1/3/7-day schedule (attempts at once after a new card or a payment do not count). */
const scheduledAttempts = (u: UnpaidInvoice) => u.attempts - (u.extraAttempts ?? 0);

function remember<T>(list: Array<[string, T]>, key: string, value: T): void {
  const i = list.findIndex(([k]) => k === key);
  if (i >= 0) list.splice(i, 1);
  list.push([key, value]);
  if (list.length > MAX_REMEMBERED) list.splice(0, list.length - MAX_REMEMBERED);
}

const iso = (ms: number) => new Date(ms).toISOString();
const day = (ms: number) => iso(ms).slice(0, 10);

function failure(code: string, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : undefined });
}

/** Turns a domain rule refusal into the failure the API maps to a status. */
function rule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BillingRuleError) throw failure(err.code, err.message);
    throw err;
  }
}

/** The non-retryable ApplicationFailure behind a failed activity, if that is what it is. */
function activityCause(err: unknown, type: string): ApplicationFailure | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === type ? cause : null;
}

/** The decline reason from a failed charge activity, or null when it is not a payment failure. */
function paymentFailureReason(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === 'PaymentFailed') {
    const details = cause.details?.[0] as { reason?: string; code?: string } | undefined;
    return details?.reason ?? details?.code ?? cause.message;
  }
  return null;
}

function initialState(request: CreateWorkspaceRequest, now: number, anchorAt?: number): WorkspaceState {
  const imported = anchorAt !== undefined && Number.isSafeInteger(anchorAt) && anchorAt <= now;
  // Our term 0 is the imported subscription's current term (setUp refuses other anchors).
  const anchor = imported ? anchorAt : now;
  const anchorTermIndex = imported ? -termContaining(anchorAt, now).index : 0;
  return {
    request,
    createAcknowledged: false,
    phase: 'setup',
    setupFailure: null,
    plan: request.plan,
    enterprise: request.enterprise ?? null,
    planCredits: 0,
    planPriceCents: 0,
    status: 'active',
    anchor,
    anchorTermIndex,
    termIndex: 0,
    scheduledChange: null,
    cancelAt: null,
    retentionUntil: null,
    onDemand: { enabled: false, monthlyLimit: 0 },
    disabledFeatures: [],
    paymentMethod: request.paymentMethod ?? null,
    unpaid: [],
    pendingPayments: [],
    seenPaymentEvents: [],
    results: [],
    refusals: [],
    purchases: [],
  };
}

export class WorkspaceBilling {
  readonly s: WorkspaceState;
  private pricing: PricingConfig | null = null;
  private busy = false;
  /** Why the main loop is stuck, shown to ops in the UI's current details. */
  private blocked: string | null = null;
  /** Ops' requests to retry the blocked step now: asked, taken by a try, answered by that try's failure. */
  private retryAsked = 0;
  private retryTaken = 0;
  private retryAnswered = 0;
  /** The term-end step (renewal or cancellation) has started and not finished: it may be blocked part-way. */
  private endingTerm = false;
  private readonly act: ActivityCall;
  private readonly importedAnchor: number | undefined;

  constructor(input: WorkspaceBillingInput) {
    this.importedAnchor = input.kind === 'create' ? input.anchorAt : undefined;
    this.s = input.kind === 'create' ? initialState(input.request, Date.now(), input.anchorAt) : input.state;
    // Results that tell the card or the balance are noted for the current details (no extra activity).
    this.act = noticingAccount(billingActivities(), () => (this.s.glance ??= {}), () => Date.now());
    this.registerHandlers();
  }

  get id(): string {
    return this.s.request.id;
  }

  term(): Term {
    return this.termOf(this.s.termIndex);
  }

  /** A term of the current subscription by its workspace-wide index. */
  termOf(index: number): Term {
    const t = termAt(this.s.anchor, index - this.s.anchorTermIndex);
    return { index, start: t.start, end: t.end };
  }

  snapshot(): WorkspaceSnapshot {
    const term = this.term();
    const r = this.s.request;
    return {
      id: r.id,
      name: r.name,
      billingEmail: r.billingEmail,
      billingAddress: r.billingAddress,
      plan: this.s.plan,
      planCredits: this.s.planCredits,
      planPriceCents: this.s.planPriceCents,
      status: this.s.status,
      anchorAt: this.s.anchor,
      termIndex: this.s.termIndex,
      termStart: term.start,
      termEnd: term.end,
      scheduledPlan: this.s.scheduledChange?.plan ?? null,
      onDemand: this.s.onDemand,
      disabledFeatures: this.s.disabledFeatures,
      cancelAt: this.s.cancelAt,
      retentionUntil: this.s.retentionUntil,
      ...(this.s.lowBalanceThreshold !== undefined ? { lowBalanceThreshold: this.s.lowBalanceThreshold } : {}),
    };
  }

  // ---- main ---------------------------------------------------------------

  async run(): Promise<void> {
    this.pricing = await this.act('Load the pricing catalog').getPricing();
    if (this.s.phase === 'setup') {
      await this.step(() => this.setUp());
      if ((this.s.phase as Phase) === 'setup_failed') {
        // Let the create update that is waiting report the failure.
        await condition(allHandlersFinished);
        return;
      }
    }
    this.publish();
    while (this.s.phase !== 'deleted') {
      if (this.s.phase === 'retention') {
        if (await this.waitOutRetention()) break;
      } else if (await this.waitForTermEnd()) break;
      if (workflowInfo().continueAsNewSuggested) break;
    }
    await condition(allHandlersFinished);
    if (this.s.phase === 'deleted') return;
    await continueAsNew<typeof workspaceBilling>({ kind: 'continue', state: this.s });
  }

  /** Waits for the term end, payment outcomes and dunning retries; true when the run should end. */
  private async waitForTermEnd(): Promise<boolean> {
    const term = this.term();
    const nextRetry = this.nextDunningRetry();
    const wakeAt = Math.min(term.end, nextRetry ?? Infinity);
    const ms = wakeAt - Date.now();
    if (ms > 0) {
      const summary = wakeAt === term.end ? `Wait for term ${term.index} to end ${iso(term.end)}` : `Wait for payment retry ${iso(wakeAt)}`;
      await condition(
        () =>
          this.s.pendingPayments.length > 0 ||
          this.s.collectUnpaid === true ||
          this.s.phase !== 'subscribed' ||
          workflowInfo().continueAsNewSuggested,
        ms,
        { summary },
      );
    }
    if (this.s.phase !== 'subscribed') return false;
    if (this.s.pendingPayments.length > 0) await this.step(() => this.applyPaymentSignals());
    if (this.s.collectUnpaid) await this.step(() => this.retryUnpaid('all'));
    if (this.nextDunningRetry() !== null && this.nextDunningRetry()! <= Date.now()) {
      await this.step(() => this.retryUnpaid('due'));
    }
    if (Date.now() >= this.term().end && this.s.phase === 'subscribed') {
      const ending = this.term();
      this.endingTerm = true;
      try {
        await this.step(() =>
          this.s.cancelAt !== null && this.s.cancelAt <= ending.end ? this.endSubscription() : this.renew(ending.index + 1),
        );
      } finally {
        this.endingTerm = false;
      }
      return true;
    }
    return false;
  }

  /**
   * Retention: purge at its end unless someone subscribes again; true when the
   * run should end. Unpaid invoices stay collectable meanwhile: payment
   * webhooks are applied and dunning retries run on their schedule.
   */
  private async waitOutRetention(): Promise<boolean> {
    const until = this.s.retentionUntil!;
    const collects = patched(RETENTION_COLLECTS_DEBT);
    const nextRetry = collects ? this.nextDunningRetry() : null;
    const wakeAt = Math.min(until, nextRetry ?? Infinity);
    const ms = wakeAt - Date.now();
    if (ms > 0) {
      await condition(
        () => (collects && this.s.pendingPayments.length > 0) || this.s.phase !== 'retention' || workflowInfo().continueAsNewSuggested,
        ms,
        { summary: wakeAt === until ? `Retention: purge data at ${iso(until)} unless re-subscribed` : `Wait for payment retry ${iso(wakeAt)}` },
      );
    }
    if (this.s.phase !== 'retention') return true; // re-subscribed: new anchor, new run
    if (collects) {
      if (this.s.pendingPayments.length > 0) await this.step(() => this.applyPaymentSignals());
      if (this.s.collectUnpaid) await this.step(() => this.retryUnpaid('all'));
      const due = this.nextDunningRetry();
      if (due !== null && due <= Date.now()) await this.step(() => this.retryUnpaid('due'));
      if ((this.s.phase as Phase) !== 'retention') return true;
    }
    if (Date.now() < until) return false;
    await this.step(async () => {
      if (this.s.phase !== 'retention') return;
      await this.act(`Purge usage and ledger detail after ${RETENTION_DAYS} days`).purgeUsageData({
        workspaceId: this.id,
        key: `purge:${this.id}:${this.s.termIndex}`,
      });
      this.s.status = 'deleted';
      this.s.phase = 'deleted';
      await this.sync('Mark workspace deleted');
    });
    return true;
  }

  // ---- lifecycle steps (always under `exclusive`) ---------------------------

  private async setUp(): Promise<void> {
    // Sign-ups since this patch: invisible until paid, one invoice per attempt, a refusal marked signup_failed.
    const current = patched(SIGNUP_ATTEMPTS);
    const req = this.s.request;
    let terms: EnterpriseTerms;
    try {
      if (this.importedAnchor !== undefined) validateImportedAnchor(this.importedAnchor, Date.now());
      // Text no table can store (a lone surrogate) would wedge the first activity: refused as a failed setup.
      if (patched('setup-text-rule')) validateRequestText(req);
      terms = validateCreateRequest(this.pricing!, req);
    } catch (err) {
      if (!(err instanceof BillingRuleError)) throw err;
      if (current) {
        this.s.status = 'signup_failed';
        this.publish(); // nothing was written: only visibility says so
      }
      this.s.phase = 'setup_failed';
      this.s.setupFailure = { code: err.code, message: err.message };
      return;
    }
    this.s.planCredits = terms.monthlyCredits;
    this.s.planPriceCents = terms.monthlyPriceCents;
    // The row exists before the payment (the Stripe customer and the invoice refer to it) but is no workspace yet.
    if (current) this.s.status = 'signing_up';
    await this.sync('Create workspace read model');
    if (req.paymentMethod) {
      try {
        await this.attachPaymentMethod(req.paymentMethod);
      } catch (err) {
        if (!(err instanceof ApplicationFailure)) throw err;
        const refusal = { code: err.type ?? FailureCodes.paymentMethodRejected, message: err.message };
        await this.refuseSignUp(refusal, 'Payment method rejected: workspace not created', null, current);
        return;
      }
    }
    const term = this.term();
    // Unique per sign-up attempt (a refused attempt's run ends; the next attempt is a new run), so a retry never meets the void invoice.
    const invoice = await this.issueBaseInvoice(term, { key: current ? `signup:${this.id}:${workflowInfo().runId}` : undefined });
    if (invoice && invoice.totalCents > 0) {
      const reason = await this.charge(invoice, 1);
      if (reason !== null) {
        const refusal = { code: FailureCodes.paymentFailed, message: `the first payment failed: ${reason}` };
        await this.refuseSignUp(refusal, 'First payment failed: workspace not created', { invoice, reason }, current);
        return;
      }
    }
    await this.openTerm(term);
    if (invoice) await this.finalize(invoice);
    if (current) {
      this.s.status = 'active';
      await this.sync('Workspace created: first term paid');
    }
    this.s.phase = 'subscribed';
  }

  /**
   * A refused sign-up creates nothing: a charged invoice is voided (it keeps
   * its number), the read-model row is marked `signup_failed` (the API shows
   * no workspace; ops tell it from a purged one), and only then is the refusal
   * reported, in the workflow task that ends this run, so the next attempt
   * (any body) starts a new run.
   */
  private async refuseSignUp(
    refusal: { code: string; message: string },
    summary: string,
    charged: { invoice: InvoiceSummary; reason: string } | null,
    current: boolean,
  ): Promise<void> {
    if (!current) {
      // Histories from before SIGNUP_ATTEMPTS: reported first, marked deleted.
      Object.assign(this.s, { phase: 'setup_failed', status: 'deleted', setupFailure: refusal } satisfies Partial<WorkspaceState>);
      await this.sync(summary);
      if (charged) await this.voidUnpaid(charged.invoice, charged.reason);
      return;
    }
    if (charged) await this.voidUnpaid(charged.invoice, charged.reason);
    this.s.status = 'signup_failed';
    await this.sync(summary);
    Object.assign(this.s, { phase: 'setup_failed', setupFailure: refusal } satisfies Partial<WorkspaceState>);
  }

  /** Renews into term `target`; safe to run again after a failure part-way (a blocked step). */
  private async renew(target: number): Promise<void> {
    const previous = this.termOf(target - 1);
    if (this.s.termIndex < target) {
      const currentCatalog = patched(RENEWAL_CURRENT_CATALOG);
      // The catalog as it is now, not as it was when the ending term began.
      if (currentCatalog) this.pricing = await this.act('Load the pricing catalog for the new term').getPricing();
      const change = this.s.scheduledChange;
      if (change) {
        const terms = resolvePlan(this.pricing!, change.plan, change.enterprise);
        log.info('applying scheduled plan change at renewal', { from: this.s.plan, to: change.plan });
        this.s.plan = change.plan;
        this.s.enterprise = change.enterprise ?? null;
        this.s.planCredits = terms.monthlyCredits;
        this.s.planPriceCents = terms.monthlyPriceCents;
        this.s.scheduledChange = null;
      } else if (currentCatalog) {
        const last = { monthlyCredits: this.s.planCredits, monthlyPriceCents: this.s.planPriceCents };
        const { terms, retired } = renewalTerms(this.pricing!, this.s.plan, this.s.enterprise, last);
        if (retired) log.warn('plan is no longer in the pricing catalog: renewing on its last terms', { plan: this.s.plan, ...last });
        this.s.planCredits = terms.monthlyCredits;
        this.s.planPriceCents = terms.monthlyPriceCents;
      }
      this.s.termIndex = target;
    }
    const term = this.term();
    await this.openTerm(term);
    const overage = await this.act(`Read overage of term ${previous.index}`).overageUsed({
      workspaceId: this.id,
      termIndex: previous.index,
    });
    const invoice = await this.issueBaseInvoice(term, { overageCredits: overage, previous });
    if (invoice && invoice.totalCents > 0) {
      const reason = await this.charge(invoice, 1);
      if (reason !== null) this.recordUnpaid(invoice, 'renewal', reason);
    }
    if (invoice) await this.finalize(invoice);
    await this.sync(`Renewed into term ${term.index}`);
  }

  /** Rule 12 at term end: no renewal, final overage invoice, plan credits expire, retention starts. */
  private async endSubscription(): Promise<void> {
    const term = this.term();
    await this.act(`Expire plan credits at cancellation`).expirePlanCredits({
      workspaceId: this.id,
      termIndex: term.index,
      key: `cancel-expire:${this.id}:${term.index}`,
    });
    this.s.status = 'cancelled';
    this.s.phase = 'retention';
    this.s.retentionUntil = term.end + RETENTION_DAYS * DAY_MS;
    await this.sync('Cancelled at term end: AI access disabled');
    const overage = await this.act(`Read overage of final term ${term.index}`).overageUsed({ workspaceId: this.id, termIndex: term.index });
    if (overage > 0) {
      const invoice = await this.act('Issue final overage invoice').issueInvoice({
        key: `final:${this.id}:${term.index}`,
        workspaceId: this.id,
        kind: 'final',
        periodStart: term.start,
        periodEnd: term.end,
        issuedAt: Date.now(),
        overage: { credits: overage, periodStart: term.start, periodEnd: term.end },
      });
      if (invoice.totalCents > 0) {
        const reason = await this.charge(invoice, 1);
        // Debt survives cancellation: collected by dunning, webhooks or a re-subscription.
        if (reason !== null && patched(RETENTION_COLLECTS_DEBT)) this.recordUnpaid(invoice, 'final', reason);
      }
      await this.finalize(invoice);
    }
  }

  /**
   * Subscribing again during retention: stops the purge and starts a new
   * anchor now. Unpaid invoices are collected first; `requestId` (the update
   * id) makes each attempt's invoice its own, so a declined one stays void.
   */
  private async resubscribe(plan: string, enterprise: EnterpriseTerms | null, requestId: string): Promise<void> {
    const terms = rule(() => resolvePlan(this.pricing!, plan, enterprise));
    const collects = patched(RETENTION_COLLECTS_DEBT);
    const owes = collects && this.s.unpaid.length > 0;
    if (terms.monthlyPriceCents > 0 && !this.s.paymentMethod) {
      throw failure(FailureCodes.paymentMethodRequired, `plan '${plan}' costs money: set a payment method first`);
    }
    if (owes && !this.s.paymentMethod) {
      throw failure(FailureCodes.paymentMethodRequired, 'unpaid invoices must be paid before subscribing again: set a payment method first');
    }
    if (owes) await this.collectUnpaidBeforeResubscribing();
    const termIndex = this.s.termIndex + 1;
    const anchor = Date.now();
    const term: Term = { index: termIndex, start: anchor, end: addMonthsClamped(anchor, 1) };
    const invoice = await this.issueBaseInvoice(term, {
      plan: { plan, priceCents: terms.monthlyPriceCents },
      key: collects ? `resubscribe:${this.id}:${requestId}` : undefined,
    });
    if (invoice && invoice.totalCents > 0) {
      const reason = await this.charge(invoice, 1);
      if (reason !== null) {
        await this.voidUnpaid(invoice, reason);
        throw failure(FailureCodes.paymentFailed, `payment failed: ${reason}`, { reason, invoiceId: invoice.id });
      }
    }
    Object.assign(this.s, {
      plan,
      enterprise,
      planCredits: terms.monthlyCredits,
      planPriceCents: terms.monthlyPriceCents,
      anchor,
      anchorTermIndex: termIndex,
      termIndex,
      status: 'active',
      phase: 'subscribed',
      cancelAt: null,
      retentionUntil: null,
      scheduledChange: null,
      // Collected above since RETENTION_COLLECTS_DEBT; older code wrote the debt off here.
      ...(collects ? {} : { unpaid: [] }),
    } satisfies Partial<WorkspaceState>);
    await this.openTerm(this.term());
    if (invoice) await this.finalize(invoice);
    await this.sync('Re-subscribed during retention: purge stopped, new anchor');
  }

  /** Retries every unpaid invoice with the card on file now; what stays unpaid refuses the re-subscription with the amount due. */
  private async collectUnpaidBeforeResubscribing(): Promise<void> {
    await this.retryUnpaid('all');
    if (this.s.unpaid.length === 0) return;
    const amountDueCents = this.s.unpaid.reduce((sum, u) => sum + (u.totalCents ?? 0), 0);
    const invoiceIds = this.s.unpaid.map((u) => u.invoiceId);
    const reason = this.s.unpaid[0]!.lastReason;
    throw failure(
      FailureCodes.paymentRequired,
      `${invoiceIds.length} unpaid invoice(s), ${amountDueCents} cents, must be paid before subscribing again: ${reason}`,
      { amountDueCents, invoiceIds, reason },
    );
  }

  // ---- payments --------------------------------------------------------------

  private recordUnpaid(invoice: InvoiceSummary, kind: UnpaidInvoice['kind'], reason: string): void {
    if (this.s.unpaid.some((u) => u.invoiceId === invoice.id)) return;
    this.s.unpaid.push({ invoiceId: invoice.id, kind, attempts: 1, firstFailedAt: Date.now(), lastReason: reason, totalCents: invoice.totalCents });
  }

  private nextDunningRetry(): number | null {
    let next: number | null = null;
    for (const u of this.s.unpaid) {
      const at = dunningRetryAt(u.firstFailedAt, scheduledAttempts(u));
      if (at !== null && (next === null || at < next)) next = at;
    }
    return next;
  }

  /**
   * Charges unpaid renewal invoices again: those whose dunning retry is due, or
   * all of them at once (a new card while past due, a payment that just
   * succeeded). Retries at once are extra attempts: they keep the schedule.
   */
  private async retryUnpaid(which: 'due' | 'all'): Promise<void> {
    for (const u of [...this.s.unpaid]) {
      if (which === 'due') {
        const due = dunningRetryAt(u.firstFailedAt, scheduledAttempts(u));
        if (due === null || due > Date.now()) continue;
      }
      const reason = await this.chargeById(u.invoiceId, u.attempts + 1);
      u.attempts += 1;
      if (which === 'all') u.extraAttempts = (u.extraAttempts ?? 0) + 1;
      if (reason === null) {
        this.s.unpaid = this.s.unpaid.filter((x) => x.invoiceId !== u.invoiceId);
        await this.act('Re-render paid invoice').finalizeInvoice({ invoiceId: u.invoiceId });
      } else {
        u.lastReason = reason;
      }
    }
    // Every unpaid invoice was just tried: nothing left to collect at once.
    if (which === 'all') this.s.collectUnpaid = false;
    await this.updatePaymentStatus();
  }

  /**
   * Rule 13: a payment that succeeds proves the card works: the unpaid invoices
   * are retried at once (by the main loop) and the status follows the outcome.
   */
  private paymentSucceeded(): void {
    if (this.s.unpaid.length > 0 && patched(PATCH_COLLECT_AFTER_PAYMENT)) this.s.collectUnpaid = true;
  }

  private async updatePaymentStatus(): Promise<void> {
    const exhausted = this.s.unpaid.some((u) => scheduledAttempts(u) >= MAX_PAYMENT_ATTEMPTS);
    const next: WorkspaceStatus = exhausted ? 'past_due' : 'active';
    if ((this.s.status === 'active' || this.s.status === 'past_due') && next !== this.s.status) {
      this.s.status = next;
      await this.sync(next === 'past_due' ? 'Every payment retry failed: past due' : 'Payment received: active again');
    }
  }

  /**
   * Payment outcomes Stripe reported. A signal leaves the queue only once it
   * was handled: a step that fails part-way is retried with the rest.
   */
  private async applyPaymentSignals(): Promise<void> {
    if (!patched(SETTLE_EVERY_PAYMENT_SIGNAL)) return this.applyPaymentSignalsUnpatched();
    while (this.s.pendingPayments.length > 0) {
      await this.applyPaymentSignal(this.s.pendingPayments[0]!);
      this.s.pendingPayments.shift();
    }
    await this.updatePaymentStatus();
  }

  /**
   * Every success is settled (idempotently, by invoice state): it pays an unpaid
   * invoice, or is refunded when the invoice is void or paid by another payment.
   * Failures change nothing here: the charge that failed already reported it.
   */
  private async applyPaymentSignal(sig: PaymentSignal): Promise<void> {
    if (sig.type !== 'payment_succeeded') return;
    const settled = await this.act(`Settle payment ${sig.paymentIntentId} reported by Stripe`).settlePaymentSucceeded({
      workspaceId: this.id,
      invoiceId: sig.invoiceId,
      paymentIntentId: sig.paymentIntentId,
      paidAt: Date.now(),
    });
    // An unpaid invoice leaves the list only after its re-render: a retried step renders it again.
    const settlesUnpaid = settled.invoiceStatus === 'paid' && this.s.unpaid.some((u) => u.invoiceId === sig.invoiceId);
    if (settled.outcome === 'paid' || settlesUnpaid) {
      await this.act('Re-render paid invoice').finalizeInvoice({ invoiceId: sig.invoiceId });
    } else if (settled.outcome === 'refunded') {
      await this.act('Re-render invoice with its refund').finalizeInvoice({ invoiceId: sig.invoiceId });
    } else if (settled.outcome === 'refund_refused') {
      // Recorded on the invoice and in payment_refunds for a person to settle; the queue moves on.
      log.warn('Stripe refused an automatic refund: settle it by hand', { paymentIntentId: sig.paymentIntentId, invoiceId: sig.invoiceId });
      await this.act('Re-render invoice: refund refused by Stripe').finalizeInvoice({ invoiceId: sig.invoiceId });
    }
    if (settled.invoiceStatus === 'paid') this.s.unpaid = this.s.unpaid.filter((u) => u.invoiceId !== sig.invoiceId);
    if (settled.outcome === 'paid' || settlesUnpaid) this.paymentSucceeded();
  }

  /** Before SETTLE_EVERY_PAYMENT_SIGNAL: kept so histories recorded with it replay. */
  private async applyPaymentSignalsUnpatched(): Promise<void> {
    const signals = this.s.pendingPayments.splice(0);
    for (const sig of signals) {
      const unpaid = this.s.unpaid.find((u) => u.invoiceId === sig.invoiceId);
      if (sig.type !== 'payment_succeeded' || !unpaid) continue;
      await this.act('Mark invoice paid from Stripe webhook').markInvoicePaid({
        invoiceId: sig.invoiceId,
        paymentIntentId: sig.paymentIntentId,
        paidAt: Date.now(),
      });
      this.s.unpaid = this.s.unpaid.filter((u) => u.invoiceId !== sig.invoiceId);
      await this.act('Re-render paid invoice').finalizeInvoice({ invoiceId: sig.invoiceId });
    }
    await this.updatePaymentStatus();
  }

  /** Charges an invoice; null when paid, else the decline reason (non-payment errors propagate). */
  private async charge(invoice: InvoiceSummary, attempt: number): Promise<string | null> {
    return this.chargeById(invoice.id, attempt, `Charge ${invoice.number} (${invoice.totalCents} cents), attempt ${attempt}`);
  }

  private async chargeById(invoiceId: string, attempt: number, summary = `Charge invoice, attempt ${attempt}`): Promise<string | null> {
    try {
      const result = await this.act(summary).chargeInvoice({ invoiceId, attempt });
      if (result.outcome === 'paid') this.paymentSucceeded();
      return null;
    } catch (err) {
      const reason = paymentFailureReason(err);
      if (reason === null) throw err;
      return reason;
    }
  }

  /** Attaches a card as the customer's default; a rejected card becomes a failure the API reports. */
  private async attachPaymentMethod(paymentMethod: string): Promise<void> {
    try {
      const r = await this.act('Attach payment method').ensurePaymentMethod({ workspaceId: this.id, paymentMethod });
      this.s.paymentMethod = r.paymentMethodId;
    } catch (err) {
      const rejected = activityCause(err, 'PaymentMethodRejected');
      if (!rejected) throw err;
      throw failure(FailureCodes.paymentMethodRejected, `the payment method was rejected: ${rejected.message}`);
    }
  }

  /** A sale that did not happen (failed upgrade or purchase): its invoice is voided, keeping its number. */
  private async voidUnpaid(invoice: InvoiceSummary, reason: string): Promise<void> {
    await this.act(`Void ${invoice.number}: payment failed`).voidInvoice({ invoiceId: invoice.id, reason });
  }

  private async finalize(invoice: InvoiceSummary): Promise<void> {
    await this.act(`Render and deliver ${invoice.number}`).finalizeInvoice({ invoiceId: invoice.id });
  }

  /** The in-advance invoice of a term (base fee, plus the previous term's overage). Null when there is nothing to bill. */
  private async issueBaseInvoice(
    term: Term,
    opts: { overageCredits?: number; previous?: Term; plan?: { plan: string; priceCents: number }; key?: string } = {},
  ): Promise<InvoiceSummary | null> {
    const { overageCredits = 0, previous } = opts;
    const plan = opts.plan?.plan ?? this.s.plan;
    const priceCents = opts.plan?.priceCents ?? this.s.planPriceCents;
    if (priceCents === 0 && overageCredits === 0) return null;
    return this.act(`Issue renewal invoice for term ${term.index}`).issueInvoice({
      key: opts.key ?? `renewal:${this.id}:${term.index}`,
      workspaceId: this.id,
      kind: 'renewal',
      periodStart: term.start,
      periodEnd: term.end,
      issuedAt: Date.now(),
      base: { plan, planName: this.pricing!.plans[plan]?.name ?? plan, priceCents },
      ...(overageCredits > 0 && previous
        ? { overage: { credits: overageCredits, periodStart: previous.start, periodEnd: previous.end } }
        : {}),
    });
  }

  private async openTerm(term: Term): Promise<void> {
    await this.act(`Open term ${term.index}: grant ${this.s.planCredits} ${this.s.plan} credits`).openTerm({
      workspaceId: this.id,
      termIndex: term.index,
      termStart: term.start,
      termEnd: term.end,
      plan: this.s.plan,
      planCredits: this.s.planCredits,
      planPriceCents: this.s.planPriceCents,
    });
  }

  private async sync(summary: string): Promise<void> {
    // Increasing, and never below the workflow clock, so it also beats rows an
    // older run or an earlier workflow of this id wrote: the read model keeps the newest.
    this.s.syncVersion = Math.max((this.s.syncVersion ?? 0) + 1, Date.now());
    await this.act(summary).syncWorkspace({ ...this.snapshot(), syncVersion: this.s.syncVersion });
    this.publish();
  }

  /** Search attributes and the UI's current details: how ops find and read the account. */
  private publish(): void {
    const term = this.term();
    upsertSearchAttributes([
      { key: BillingWorkspaceId, value: this.id },
      { key: BillingPlan, value: this.s.plan },
      { key: BillingStatus, value: this.s.status },
      { key: BillingTermEnd, value: new Date(term.end) },
      ...(patched(BLOCKED_VISIBLE) ? [{ key: BillingBlocked, value: this.blocked !== null }] : []),
    ]);
    const lines = [
      this.blocked ? `**BLOCKED**, retrying: ${this.blocked}` : null,
      `**${this.id}**: ${this.s.plan} plan, **${this.s.status}**`,
      `Term ${term.index}: ${day(term.start)} to ${day(term.end)}`,
      this.s.scheduledChange ? `Scheduled: switch to ${this.s.scheduledChange.plan} at renewal` : null,
      this.retiredPlan() ? `Plan '${this.s.plan}' is no longer in the pricing catalog: renews on its last terms (${this.s.planCredits} credits, ${this.s.planPriceCents} cents)` : null,
      this.s.cancelAt ? `Cancels at ${iso(this.s.cancelAt)}` : null,
      this.s.retentionUntil ? `Data purge at ${iso(this.s.retentionUntil)}` : null,
      ...glanceLines(this.s.glance, { ...this.s, termIndex: term.index }),
      this.s.disabledFeatures.length ? `Disabled features: ${this.s.disabledFeatures.join(', ')}` : null,
    ];
    setCurrentDetails(lines.filter((l) => l !== null).join('\n\n'));
  }

  /** True when the workspace's plan left the catalog (it keeps its last terms): shown to ops. */
  private retiredPlan(): boolean {
    if (!this.pricing || this.s.phase === 'deleted') return false;
    const last = { monthlyCredits: this.s.planCredits, monthlyPriceCents: this.s.planPriceCents };
    return renewalTerms(this.pricing, this.s.plan, this.s.enterprise, last).retired;
  }

  // ---- message handlers ------------------------------------------------------

  /**
   * Runs state-changing work one at a time (the safe-message-handlers pattern),
   * once `ready` also holds.
   */
  private async exclusive<T>(fn: () => Promise<T>, ready: () => boolean = () => true): Promise<T> {
    const free = () => !this.busy && this.pricing !== null && ready();
    // Several waiters can be released in one pass over the conditions: the first to resume takes the lock, the others wait again.
    await condition(free);
    if (patched(EXCLUSIVE_ONE_AT_A_TIME)) while (!free()) await condition(free);
    this.busy = true;
    try {
      return await fn();
    } finally {
      this.busy = false;
    }
  }

  /**
   * A step of the main loop. An activity failure no retry fixes (bad data, a
   * broken config) must not end a billing workflow for good: the step is
   * tried again with a growing pause (1 hour doubling up to a day) until ops
   * fix the cause; the activities are idempotent, so repeating is safe.
   */
  private async step(fn: () => Promise<void>): Promise<void> {
    for (let pauseHours = 1; ; pauseHours = Math.min(pauseHours * 2, 24)) {
      try {
        await this.exclusive(fn);
        const recovered = this.blocked !== null;
        this.blocked = null;
        // Ops see the recovery (BillingBlocked = false) at once, not at the next change.
        if (recovered && patched(BLOCKED_VISIBLE)) this.publish();
        return;
      } catch (err) {
        if (!(err instanceof ActivityFailure || err instanceof BillingRuleError)) throw err;
        const cause = err instanceof ActivityFailure && err.cause ? `: ${err.cause.message}` : '';
        this.blocked = `${err.message}${cause}`;
        log.error('billing step blocked; retrying later', { error: this.blocked, pauseHours });
        // Alertable: billing_blocked_steps in the worker's metrics (/metrics).
        metricMeter.createCounter('billing_blocked_steps', 'steps', 'Billing workflow steps blocked by a failure no retry fixes').add(1);
        this.retryAnswered = this.retryTaken; // this try answers the ops requests it took
        this.publish();
        await this.pauseBlockedStep(pauseHours);
      }
    }
  }

  /** Waits before a blocked step's next try: the pause, cut short by ops (retryBlockedStep) once they fixed the cause. */
  private async pauseBlockedStep(pauseHours: number): Promise<void> {
    const summary = `Blocked (${this.blocked!.slice(0, 80)}): retry in ${pauseHours} h`;
    if (!patched(RETRY_BLOCKED_ON_REQUEST)) {
      await sleep(pauseHours * 3_600_000, { summary });
      return;
    }
    await condition(() => this.retryAsked > this.retryTaken, pauseHours * 3_600_000, { summary });
    this.retryTaken = this.retryAsked;
  }

  /** Ops' retryBlockedStep: the blocked step is tried at once; answers after that try. */
  private async onRetryBlockedStep(): Promise<RetryBlockedStepResult> {
    const request = ++this.retryAsked;
    // A try already under way when the request came does not answer it: the next one does.
    await condition(() => this.blocked === null || this.retryAnswered >= request);
    return { blocked: this.blocked };
  }

  /**
   * True from the end of a term until its renewal (or cancellation) step has
   * finished, also while that step is blocked and sleeping outside `exclusive`.
   */
  private termEndPending(): boolean {
    return this.endingTerm || (this.s.phase === 'subscribed' && Date.now() >= this.term().end);
  }

  /**
   * A plan change applies to the term in force: it waits for a renewal that is
   * merely due (the main loop runs it at once), and is let in while the
   * term-end step is blocked only to be refused (`onChangePlan`).
   */
  private planChangeMayRun(): boolean {
    return !this.termEndPending() || this.blocked !== null;
  }

  /** Answers a retried update (same update id, possibly after continue-as-new) with its first result. */
  private async once<T>(fn: (requestId: string) => Promise<T>, ready?: () => boolean): Promise<T> {
    const id = currentUpdateInfo()?.id ?? '';
    const seen = this.s.results.find(([k]) => k === id);
    if (seen) return seen[1] as T;
    const refused = this.s.refusals?.find(([k]) => k === id);
    if (refused) throw ApplicationFailure.create({ ...refused[1], nonRetryable: true });
    try {
      const result = await this.exclusive(() => fn(id), ready);
      remember(this.s.results, id, result);
      return result;
    } catch (err) {
      // Temporal answers a repeated update id with its first outcome within a run; this keeps that true after continue-as-new.
      if (err instanceof ApplicationFailure && err.type) {
        remember((this.s.refusals ??= []), id, { type: err.type, message: err.message, details: [...(err.details ?? [])] });
      }
      throw err;
    }
  }

  private requireSubscribed(action: string): void {
    if (this.s.phase === 'setup' || this.s.phase === 'setup_failed') {
      throw failure(FailureCodes.invalidState, `cannot ${action}: the workspace is not set up`);
    }
    if (this.s.phase === 'deleted') throw failure(FailureCodes.invalidState, `cannot ${action}: the workspace is deleted`);
  }

  private registerHandlers(): void {
    setHandler(stateQuery, () => ({
      workspace: this.snapshot(),
      phase: this.s.phase,
      enterprise: this.s.enterprise,
      scheduledChange: this.s.scheduledChange,
      hasPaymentMethod: this.s.paymentMethod !== null,
      unpaidInvoices: this.s.unpaid,
      pricing: this.pricing,
    }));

    setHandler(paymentResultSignal, (sig) => {
      // Signals cannot be refused: duplicates and unknown invoices are dropped in the main loop.
      if (this.s.seenPaymentEvents.includes(sig.eventId)) return;
      this.s.seenPaymentEvents.push(sig.eventId);
      if (this.s.seenPaymentEvents.length > MAX_REMEMBERED) this.s.seenPaymentEvents.shift();
      this.s.pendingPayments.push(sig);
    });

    setHandler(createWorkspaceUpdate, () => this.onCreate(), {
      validator: (req) => {
        rule(() => validateRequestText(req));
        if (canonicalJson(req) !== canonicalJson(this.s.request)) {
          throw failure(FailureCodes.conflict, `workspace '${this.id}' already exists with different details`);
        }
      },
    });

    setHandler(changePlanUpdate, (req) => {
      const waitsForRenewal = patched(PLAN_CHANGE_WAITS_FOR_RENEWAL);
      return this.once((id) => this.onChangePlan(req, id, waitsForRenewal), waitsForRenewal ? () => this.planChangeMayRun() : undefined);
    }, {
      validator: (req) => {
        this.requireSubscribed('change the plan');
        rule(() => validateRequestText(req));
        if (this.pricing) rule(() => resolvePlan(this.pricing!, req.plan, req.enterprise));
      },
    });

    setHandler(purchaseCreditsUpdate, (req) => this.once(() => this.onPurchase(req)), {
      validator: (req) => {
        this.requireSubscribed('buy credits');
        if (this.pricing) rule(() => validatePurchaseCredits(this.pricing!, req.credits));
        if (typeof req.idempotencyKey !== 'string' || req.idempotencyKey.length === 0 || req.idempotencyKey.length > 200) {
          throw failure(FailureCodes.validation, 'idempotencyKey is required: 1 to 200 characters');
        }
        rule(() => validateRequestText(req));
      },
    });

    setHandler(cancelUpdate, () => this.once(() => this.onCancel()), {
      validator: () => this.requireSubscribed('cancel'),
    });
    setHandler(resumeUpdate, () => this.once((id) => this.onResume(id)), {
      validator: () => this.requireSubscribed('resume'),
    });

    setHandler(setOnDemandUpdate, (settings) => this.once(() => this.onSetOnDemand(settings)), {
      validator: (settings) => {
        this.requireSubscribed('change on-demand settings');
        rule(() => validateOnDemand(settings));
        rule(() => validateRequestText(settings));
      },
    });

    setHandler(setFeatureUpdate, (req) => this.once(() => this.onSetFeature(req)), {
      validator: (req) => {
        this.requireSubscribed('switch features');
        rule(() => validateFeatureName(req.feature));
        rule(() => validateRequestText(req));
        if (typeof req.enabled !== 'boolean') throw failure(FailureCodes.validation, 'enabled must be a boolean');
      },
    });

    setHandler(setLowBalanceThresholdUpdate, (req) => this.once(() => this.onSetLowBalanceThreshold(req)), {
      validator: (req) => {
        this.requireSubscribed('set the low-balance threshold');
        rule(() => validateLowBalanceThreshold(req.threshold));
      },
    });

    setHandler(retryBlockedStepUpdate, () => this.onRetryBlockedStep(), {
      validator: () => {
        if (this.blocked === null) throw failure(FailureCodes.invalidState, 'no step of this workspace is blocked');
      },
    });

    setHandler(setPaymentMethodUpdate, (req) => this.once(() => this.onSetPaymentMethod(req)), {
      validator: (req) => {
        this.requireSubscribed('set a payment method');
        if (typeof req.paymentMethod !== 'string' || !/^pm_[A-Za-z0-9_]{1,200}$/.test(req.paymentMethod)) {
          throw failure(FailureCodes.validation, 'paymentMethod must be a Stripe payment method id (pm_...)');
        }
      },
    });
  }

  private async onCreate(): Promise<CreateResult> {
    await condition(() => this.s.phase !== 'setup');
    if (this.s.phase === 'setup_failed') {
      const f = this.s.setupFailure!;
      throw failure(f.code, f.message);
    }
    const created = !this.s.createAcknowledged;
    this.s.createAcknowledged = true;
    return { created, workspace: this.snapshot() };
  }

  private async onChangePlan(req: PlanChangeRequest, requestId: string, waitsForRenewal: boolean): Promise<PlanChangeResult> {
    const enterprise = req.enterprise ?? null;
    const target = rule(() => resolvePlan(this.pricing!, req.plan, enterprise));
    if (waitsForRenewal && this.termEndPending()) {
      // The term-end step is blocked part-way: nothing is charged or changed until it has finished.
      throw failure(
        FailureCodes.renewalPending,
        'the renewal at the end of the current term has not completed yet (it is being retried); nothing was charged: try the plan change again later with a new Idempotency-Key',
      );
    }
    if (this.s.phase === 'retention') {
      await this.resubscribe(req.plan, enterprise, requestId);
      return { effective: 'immediately', plan: req.plan, currentPlan: this.s.plan, effectiveAt: this.s.anchor };
    }
    const term = this.term();
    const kind = classifyPlanChange(
      { plan: this.s.plan, enterprise: this.s.enterprise, priceCents: this.s.planPriceCents },
      { plan: req.plan, enterprise, priceCents: target.monthlyPriceCents },
    );
    if (kind === 'unchanged') {
      // Choosing the current plan again drops a scheduled change.
      if (this.s.scheduledChange) {
        this.s.scheduledChange = null;
        await this.sync('Scheduled plan change withdrawn');
      }
      return { effective: 'immediately', plan: req.plan, currentPlan: this.s.plan, effectiveAt: Date.now() };
    }
    if (kind === 'scheduled') {
      this.s.scheduledChange = { plan: req.plan, ...(req.enterprise ? { enterprise: req.enterprise } : {}) };
      await this.sync(`Plan change to ${req.plan} scheduled for renewal`);
      return { effective: 'at_renewal', plan: req.plan, currentPlan: this.s.plan, effectiveAt: term.end };
    }
    if (!this.s.paymentMethod) {
      throw failure(FailureCodes.paymentMethodRequired, `upgrading to '${req.plan}' needs a payment method on file`);
    }
    // Rule 5: payment first; the plan bucket is replaced only after it succeeds.
    const saleKey = this.nextSaleKey('upgrade', `upgrade:${this.id}:${requestId}`);
    const invoice = await this.act(`Issue upgrade invoice ${this.s.plan} -> ${req.plan}`).issueInvoice({
      key: saleKey,
      workspaceId: this.id,
      kind: 'upgrade',
      periodStart: Date.now(),
      periodEnd: term.end,
      issuedAt: Date.now(),
      upgrade: {
        fromPlan: this.s.plan,
        toPlan: req.plan,
        fromPriceCents: this.s.planPriceCents,
        toPriceCents: target.monthlyPriceCents,
        termStart: term.start,
        termEnd: term.end,
        at: Date.now(),
      },
    });
    if (invoice.totalCents > 0) {
      const reason = await this.charge(invoice, 1);
      if (reason !== null) {
        await this.voidUnpaid(invoice, reason);
        throw failure(FailureCodes.paymentFailed, `upgrade payment failed: ${reason}; nothing changed`, {
          reason,
          invoiceId: invoice.id,
        });
      }
    }
    await this.act(`Replace plan bucket with ${target.monthlyCredits} ${req.plan} credits`).replacePlanBucket({
      workspaceId: this.id,
      termIndex: term.index,
      plan: req.plan,
      planCredits: target.monthlyCredits,
      planPriceCents: target.monthlyPriceCents,
      key: saleKey,
    });
    Object.assign(this.s, {
      plan: req.plan,
      enterprise,
      planCredits: target.monthlyCredits,
      planPriceCents: target.monthlyPriceCents,
      scheduledChange: null,
    });
    await this.sync(`Upgraded to ${req.plan}`);
    await this.finalize(invoice);
    const balance = await this.act('Read balances').getBalances({ workspaceId: this.id });
    return { effective: 'immediately', plan: req.plan, currentPlan: req.plan, effectiveAt: Date.now(), invoiceId: invoice.id, balance };
  }

  private async onPurchase(req: PurchaseRequest): Promise<PurchaseResult> {
    if (this.s.phase !== 'subscribed') throw failure(FailureCodes.invalidState, 'the subscription is cancelled: re-subscribe to buy credits');
    const known = this.s.purchases.find(([k]) => k === req.idempotencyKey)?.[1];
    if (known && known.credits !== req.credits) {
      throw failure(FailureCodes.conflict, `idempotencyKey '${req.idempotencyKey}' was used for a purchase of ${known.credits} credits`);
    }
    if (known?.result) return known.result;
    if (!this.s.paymentMethod) throw failure(FailureCodes.paymentMethodRequired, 'buying credits needs a payment method on file');
    const entry = known ?? { credits: req.credits, attempts: 0, result: null };
    entry.attempts += 1;
    remember(this.s.purchases, req.idempotencyKey, entry);
    const key = `purchase:${this.id}:${req.idempotencyKey}`;
    // One invoice per payment attempt: a declined one is voided, a retry with the same key gets a new one.
    const legacyInvoiceKey = `${key}:${entry.attempts}`;
    const saleKey = this.nextSaleKey('purchase', legacyInvoiceKey);
    const invoice = await this.act(`Issue invoice for ${req.credits} purchased credits`).issueInvoice({
      key: saleKey,
      workspaceId: this.id,
      kind: 'credit_purchase',
      // Shown as the term the purchase was made in; the credits themselves never expire.
      periodStart: this.term().start,
      periodEnd: this.term().end,
      issuedAt: Date.now(),
      purchase: { credits: req.credits },
    });
    // Rule 8: credits only after the payment succeeded.
    const reason = invoice.totalCents > 0 ? await this.charge(invoice, 1) : null;
    if (reason !== null) {
      await this.voidUnpaid(invoice, reason);
      throw failure(FailureCodes.paymentFailed, `purchase payment failed: ${reason}`, { reason, invoiceId: invoice.id });
    }
    await this.act(`Grant ${req.credits} purchased credits`).grantPurchasedCredits({
      workspaceId: this.id,
      credits: req.credits,
      // Purchases from histories before sale numbers are granted under their purchase key.
      key: saleKey === legacyInvoiceKey ? key : saleKey,
    });
    await this.finalize(invoice);
    entry.result = {
      id: key,
      credits: req.credits,
      amountCents: req.credits * this.pricing!.purchase.centsPerCredit,
      status: 'paid',
      invoiceId: invoice.id,
    };
    return entry.result;
  }

  /**
   * The business key of an upgrade or a purchase attempt (its invoice and ledger
   * entry): numbered per workspace, so it is unique per accepted request
   * whatever key the client sent; replays compute the same number. Histories
   * recorded before keep their client-derived key (`legacyKey`).
   */
  private nextSaleKey(kind: 'upgrade' | 'purchase', legacyKey: string): string {
    if (!patched('sale-numbered-keys')) return legacyKey;
    this.s.sales = (this.s.sales ?? 0) + 1;
    return `${kind}-sale:${this.id}:${this.s.sales}`;
  }

  private cancelResult(): CancelResult {
    return { status: this.s.status, cancelAt: this.s.cancelAt, retentionUntil: this.s.retentionUntil };
  }

  private async onCancel(): Promise<CancelResult> {
    if (this.s.phase === 'subscribed' && this.s.cancelAt === null) {
      this.s.cancelAt = this.term().end;
      await this.sync(`Cancellation requested: ends ${iso(this.s.cancelAt)}`);
    }
    return this.cancelResult();
  }

  private async onResume(requestId: string): Promise<CancelResult> {
    if (this.s.phase === 'retention') {
      await this.resubscribe(this.s.plan, this.s.enterprise, requestId);
    } else if (this.s.cancelAt !== null) {
      this.s.cancelAt = null;
      await this.sync('Cancellation withdrawn');
    }
    return this.cancelResult();
  }

  private async onSetOnDemand(settings: OnDemandSettings): Promise<OnDemandSettings> {
    this.s.onDemand = { enabled: settings.enabled, monthlyLimit: settings.monthlyLimit };
    await this.sync(`On-demand ${settings.enabled ? `on, limit ${settings.monthlyLimit || 'unlimited'}` : 'off'}`);
    return this.s.onDemand;
  }

  private async onSetFeature(req: { feature: string; enabled: boolean }): Promise<{ disabledFeatures: string[] }> {
    // One spelling per feature, whatever case the caller used (usage is checked in the same spelling).
    const feature = normalizeFeature(req.feature);
    const others = this.s.disabledFeatures.filter((f) => f !== feature);
    this.s.disabledFeatures = req.enabled ? others : [...others, feature].sort();
    await this.sync(`Feature ${feature} ${req.enabled ? 'enabled' : 'disabled'}`);
    return { disabledFeatures: this.s.disabledFeatures };
  }

  private async onSetLowBalanceThreshold(req: LowBalanceSetting): Promise<LowBalanceSetting> {
    this.s.lowBalanceThreshold = req.threshold;
    await this.sync(req.threshold === null ? 'Low-balance threshold: default' : `Low-balance threshold: ${req.threshold} credits`);
    return { threshold: req.threshold };
  }

  private async onSetPaymentMethod(req: { paymentMethod: string }): Promise<{ paymentMethod: string }> {
    await this.attachPaymentMethod(req.paymentMethod);
    // A past-due account is locked out: try its unpaid invoices with the new card at once.
    if (this.s.status === 'past_due') await this.retryUnpaid('all');
    return { paymentMethod: req.paymentMethod };
  }
}

export async function workspaceBilling(input: WorkspaceBillingInput): Promise<void> {
  await new WorkspaceBilling(input).run();
}
