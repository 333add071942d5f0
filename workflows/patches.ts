// patched() ids: behaviour changes that recorded histories must replay without.
// An id is never renamed or reused; a new behaviour change gets a new id here.

/** Payment signals are settled one by one (late successes refunded), each dequeued only once handled. */
export const SETTLE_EVERY_PAYMENT_SIGNAL = 'settle-every-payment-signal';
/** Sign-up: invisible until paid, one invoice per attempt, a refusal marked `signup_failed`. */
export const SIGNUP_ATTEMPTS = 'signup-attempts';
/** Sign-up refuses text no table can store (a lone surrogate) as a failed setup. */
export const SETUP_TEXT_RULE = 'setup-text-rule';
/** Renewal: reload the catalog and renew on its current price and allocation. */
export const RENEWAL_CURRENT_CATALOG = 'renewal-current-catalog';
/** Cancellation and retention keep unpaid invoices collectable; re-subscribing collects them first. */
export const RETENTION_COLLECTS_DEBT = 'retention-collects-debt';
/** A plan change waits for a due renewal, and is refused with renewal_pending while that step is blocked. */
export const PLAN_CHANGE_WAITS_FOR_RENEWAL = 'plan-change-waits-for-renewal';
/** exclusive(): of several waiters released in one pass, only the first takes the lock. */
export const EXCLUSIVE_ONE_AT_A_TIME = 'exclusive-one-at-a-time';
/** A successful payment collects the other unpaid invoices at once. */
export const PATCH_COLLECT_AFTER_PAYMENT = 'collect-unpaid-after-successful-payment';
/** The BillingBlocked search attribute: set while a step is blocked, cleared as soon as it went through. */
export const BLOCKED_VISIBLE = 'billing-blocked-search-attribute';
/** A blocked step's pause can be cut short by ops (retryBlockedStep update). */
export const RETRY_BLOCKED_ON_REQUEST = 'retry-blocked-step-on-request';
/** Upgrades and purchases keyed by a per-workspace sale number, not by the client's key. */
export const SALE_NUMBERED_KEYS = 'sale-numbered-keys';
/**
 * Renewal: the term opened, the ending term's overage read, the invoice issued
 * and the read model written by one activity in one transaction (renewTerm),
 * then the charge, then the PDF rendered and delivered; every step a regular
 * activity.
 */
export const RENEWAL_LEDGER_IN_ONE_ACTIVITY = 'renewal-ledger-in-one-activity';
/**
 * A run handed the catalog by the renewal before it (continue-as-new input)
 * starts on it instead of loading it. Its own patch: during a rolling deploy a
 * worker without this code may run such a run's first task (it loads the
 * catalog), and a new worker must replay that task the same way.
 */
export const RUN_STARTS_ON_HANDED_ON_CATALOG = 'run-starts-on-handed-on-catalog';
/** Sign-up: the create is answered once the first term is paid and open; the first invoice's PDF is rendered and delivered after that answer. */
export const SIGNUP_PDF_AFTER_ANSWER = 'signup-pdf-after-answer';
/** Choosing the current plan again answers what happened: `withdrawn` (a scheduled change dropped) or `unchanged`. */
export const PLAN_CHANGE_SAYS_WITHDRAWN = 'plan-change-says-withdrawn';
