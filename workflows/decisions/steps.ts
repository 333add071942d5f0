// The steps a decision plans and workflows/executor.ts carries out, in order,
// as activities. A step names what to do; what only an earlier step's result
// can tell (the overage read, the invoice issued, a charge's outcome) is
// carried from step to step by the executor.
import type { Term } from '../../src/domain/terms';
import type { PaymentSignal } from '../../src/domain/payment-signal';
import type { WorkspaceState } from '../state';

/** Fields a step sets on the workflow state (at that point of the plan: later syncs see them). */
export type StatePatch = Partial<
  Pick<
    WorkspaceState,
    | 'plan'
    | 'enterprise'
    | 'planCredits'
    | 'planPriceCents'
    | 'scheduledChange'
    | 'status'
    | 'phase'
    | 'cancelAt'
    | 'retentionUntil'
    | 'anchor'
    | 'anchorTermIndex'
    | 'termIndex'
    | 'unpaid'
    | 'collectUnpaid'
    | 'setupFailure'
    | 'onDemand'
    | 'disabledFeatures'
    | 'lowBalanceThreshold'
  >
>;

/** What happens when the plan's charge is declined. */
export type OnDecline =
  /** The invoice stays due: dunning retries it (`onlyIfPatched`: for histories since that patch id). */
  | { then: 'record-unpaid'; kind: 'renewal' | 'final'; onlyIfPatched?: string }
  /** The sale does not happen: the invoice is voided and the request refused with `refusal` + the reason. */
  | { then: 'void-and-refuse'; refusal: string; suffix?: string }
  /** The plan stops here; its caller decides what the decline means (a refused sign-up). */
  | { then: 'stop' };

/** What stopped a plan early, left to its caller: a card was rejected (Stripe's reason), or a charge was declined (its invoice issued). */
export type Stopped = { rejected: string } | { declined: { invoice: { id: string; number: string }; reason: string } };

export type Step =
  /** Renewal: the next term's plan and terms (from the catalog as it is now, behind `RENEWAL_CURRENT_CATALOG`). */
  | { kind: 'adopt-next-term'; target: number }
  /**
   * Renewal since RENEWAL_LEDGER_IN_ONE_ACTIVITY, one activity and one transaction: opens `term` with the plan
   * in force, reads the overage of `previous`, issues the term's invoice (base fee plus that overage; none when
   * both are 0) and writes the read model.
   */
  | { kind: 'renew-term'; term: Term; previous: Term }
  /** Opens `term` with the plan in force when the step runs (grants its credits). */
  | { kind: 'open-term'; term: Term }
  | { kind: 'read-overage'; termIndex: number; final: boolean }
  /**
   * The term's in-advance invoice: base fee of `plan` (default: the plan in force when the step runs) plus
   * the overage read of `previous`; none when both are 0. `key` defaults to the term's renewal key.
   */
  | { kind: 'issue-base-invoice'; term: Term; previous?: Term; plan?: { plan: string; priceCents: number }; key?: string }
  /** The final overage invoice of a cancelled subscription; none when no overage was read. */
  | { kind: 'issue-final-invoice'; term: Term }
  /** An upgrade's prorated invoice, keyed by the next sale number. */
  | { kind: 'issue-upgrade-invoice'; from: { plan: string; priceCents: number }; to: { plan: string; priceCents: number }; term: Term; legacyKey: string }
  /** A credit purchase's invoice, keyed by the next sale number (`legacyKey` in runs from before sale numbers). */
  | { kind: 'issue-purchase-invoice'; credits: number; term: Term; legacyKey: string }
  /** The purchased credits, keyed like the invoice (by `purchaseKey` in runs from before sale numbers). */
  | { kind: 'grant-purchased-credits'; credits: number; purchaseKey: string }
  /** Charges the invoice issued (attempt 1) when it has an amount. */
  | { kind: 'charge'; onDecline: OnDecline }
  | { kind: 'finalize-invoice' }
  | { kind: 'expire-plan-credits'; termIndex: number; key: string }
  /** The upgrade's plan bucket, keyed like its invoice. */
  | { kind: 'replace-plan-bucket'; termIndex: number; plan: string; planCredits: number; planPriceCents: number }
  | { kind: 'read-balances' }
  | { kind: 'purge-usage-data'; key: string }
  /** `onlyIfPatched`: applied only in histories since that patch id. */
  | { kind: 'update-state'; patch: StatePatch; onlyIfPatched?: string }
  /** Attaches a card as the customer's default; a rejected card stops the plan (its caller decides). */
  | { kind: 'attach-payment-method'; paymentMethod: string }
  /** Voids an invoice whose payment failed (it keeps its number). */
  | { kind: 'void-invoice'; invoice: { id: string; number: string }; reason: string }
  /**
   * Dunning: charges an unpaid invoice again as `attempt`; `extra`: outside the
   * 1/3/7-day schedule. Paid: it leaves the unpaid list and is rendered again.
   * `notBefore`: tried only if the clock has reached it when the step runs.
   */
  | { kind: 'retry-unpaid'; invoiceId: string; attempt: number; extra: boolean; notBefore?: number }
  /** The status the payment outcomes so far imply (decisions/dunning.ts), decided when the step runs. */
  | { kind: 'update-payment-status' }
  /** Settles a success Stripe reported (idempotently, by invoice state); its outcome is carried. */
  | { kind: 'settle-payment'; signal: PaymentSignal }
  /** Before SETTLE_EVERY_PAYMENT_SIGNAL: marks an unpaid invoice paid from a webhook. */
  | { kind: 'mark-invoice-paid'; signal: PaymentSignal }
  /** Renders and delivers an invoice again (paid, refunded ...), labelled `summary`. */
  | { kind: 'rerender-invoice'; invoiceId: string; summary: string }
  /** Search attributes and current details only (no read-model write). */
  | { kind: 'publish' }
  /** Writes the read model (and search attributes, current details) labelled `summary`. */
  | { kind: 'sync'; summary: string };

export type Steps = Step[];
