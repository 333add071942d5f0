// The workflow state a run hands to the next through continue-as-new, how a
// new workspace's state starts, and how a state written by older code is
// brought to the current shape (migrateState).
import type { EnterpriseTerms, PricingConfig } from '../src/domain/pricing';
import { termContaining } from '../src/domain/terms';
import type { CreateWorkspaceRequest, OnDemandSettings, WorkspaceStatus } from '../src/domain/workspace';
import type { AccountGlance } from './account-glance';
import type { PaymentSignal, PlanChangeRequest, PurchaseResult, UnpaidInvoice, WorkspaceBillingView } from './definitions';

export type Phase = WorkspaceBillingView['phase'];

/**
 * Version of the state's shape. Raise it when a field is added, and teach
 * migrateState to fill that field for states of the versions before.
 * Version 1: every field below is present (states without `stateVersion` lack some).
 */
export const STATE_VERSION = 1;

/** Everything a run hands to the next one through continue-as-new (JSON, epoch ms). */
export interface WorkspaceState {
  /** Shape of this state (absent in states written before versioning: see migrateState). */
  stateVersion?: number;
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
  /**
   * Rule 11 threshold in credits, null = default. Absent in states from older
   * runs, and deliberately left absent by migrateState: the read model keeps its value.
   */
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
  /**
   * `pricing`: the catalog the ending run's renewal loaded moments before
   * (since RENEWAL_LEDGER_IN_ONE_ACTIVITY); the run starts on it instead of
   * loading it again. Absent, the run loads the catalog first.
   */
  | { kind: 'continue'; state: WorkspaceState; pricing?: PricingConfig };

export function initialState(request: CreateWorkspaceRequest, now: number, anchorAt?: number): WorkspaceState {
  const imported = anchorAt !== undefined && Number.isSafeInteger(anchorAt) && anchorAt <= now;
  // Our term 0 is the imported subscription's current term (setUp refuses other anchors).
  const anchor = imported ? anchorAt : now;
  const anchorTermIndex = imported ? -termContaining(anchorAt, now).index : 0;
  return {
    stateVersion: STATE_VERSION,
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
    collectUnpaid: false,
    seenPaymentEvents: [],
    results: [],
    refusals: [],
    purchases: [],
    sales: 0,
    syncVersion: 0,
    glance: {},
  };
}

/**
 * A continue-as-new input written by any older build, in the current shape.
 * Only fills defaults that the code reads exactly like the absent field
 * (`?? 0`, `?? []`, falsy), so no workflow command changes: replaying a
 * history gives the same commands with or without this step.
 *
 * A state written by a NEWER build (a rollback, or an old worker picking up
 * the run during a rolling restart) cannot be read safely: a plain Error (not
 * an ApplicationFailure) fails the workflow task, not the workflow, so
 * Temporal retries the task until a worker of that build takes it.
 */
export function migrateState(state: WorkspaceState): WorkspaceState {
  const version = state.stateVersion ?? 0;
  if (version > STATE_VERSION) {
    throw new Error(`workflow state version ${version} is newer than this build's ${STATE_VERSION}: waiting for a worker of a newer build`);
  }
  if (version === STATE_VERSION) return state;
  return {
    ...state,
    stateVersion: STATE_VERSION,
    collectUnpaid: state.collectUnpaid ?? false,
    refusals: state.refusals ?? [],
    sales: state.sales ?? 0,
    syncVersion: state.syncVersion ?? 0,
    glance: state.glance ?? {},
    unpaid: state.unpaid.map((u) => ({ ...u, extraAttempts: u.extraAttempts ?? 0 })),
  };
}

/** How many update results, refusals, purchases and payment events a state remembers. */
export const MAX_REMEMBERED = 200;

/** Puts `key` last in a remembered list (replacing an earlier entry), dropping the oldest beyond MAX_REMEMBERED. */
export function remember<T>(list: Array<[string, T]>, key: string, value: T): void {
  const i = list.findIndex(([k]) => k === key);
  if (i >= 0) list.splice(i, 1);
  list.push([key, value]);
  if (list.length > MAX_REMEMBERED) list.splice(0, list.length - MAX_REMEMBERED);
}
