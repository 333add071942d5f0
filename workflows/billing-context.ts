// One run's state: the state carried through continue-as-new plus what lives
// only in this run (the catalog, the lock, a blocked step). The step modules
// are plain functions taking this context.
import type { PricingConfig } from '../src/domain/pricing';
import type { Term } from '../src/domain/terms';
import type { WorkspaceSnapshot } from '../src/domain/workspace';
import { noticingAccount } from './account-glance';
import { billingActivities, type ActivityCall } from './activity-calls';
import { termOf } from './decisions/terms';
import { initialState, migrateState, type WorkspaceBillingInput, type WorkspaceState } from './state';

export class BillingContext {
  readonly s: WorkspaceState;
  pricing: PricingConfig | null = null;
  /** The catalog the previous run's renewal loaded and handed on (used behind RUN_STARTS_ON_HANDED_ON_CATALOG). */
  readonly handedOnPricing: PricingConfig | null;
  /** The run ends with a renewal that loaded the catalog moments ago: the next run starts on it (RENEWAL_LEDGER_IN_ONE_ACTIVITY). */
  handsOnPricing = false;
  /** Held by `exclusive`: state-changing work runs one at a time. */
  busy = false;
  /** Why the main loop is stuck, shown to ops in the UI's current details. */
  blocked: string | null = null;
  /** Ops' requests to retry the blocked step now: asked, taken by a try, answered by that try's failure. */
  retryAsked = 0;
  retryTaken = 0;
  retryAnswered = 0;
  /** The term-end step (renewal or cancellation) has started and not finished: it may be blocked part-way. */
  endingTerm = false;
  readonly act: ActivityCall;
  readonly importedAnchor: number | undefined;

  constructor(input: WorkspaceBillingInput) {
    this.importedAnchor = input.kind === 'create' ? input.anchorAt : undefined;
    this.s = input.kind === 'create' ? initialState(input.request, Date.now(), input.anchorAt) : migrateState(input.state);
    this.handedOnPricing = input.kind === 'continue' && input.pricing ? input.pricing : null;
    // Results that tell the card or the balance are noted for the current details (no extra activity).
    this.act = noticingAccount(billingActivities(), () => (this.s.glance ??= {}), () => Date.now());
  }

  get id(): string {
    return this.s.request.id;
  }

  term(): Term {
    return this.termOf(this.s.termIndex);
  }

  /** A term of the current subscription by its workspace-wide index. */
  termOf(index: number): Term {
    return termOf(this.s, index);
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
}
