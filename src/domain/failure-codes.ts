// Every code the system refuses or fails a request with: the one vocabulary
// shared by the domain rules, the workflow (ApplicationFailure.type), the
// ledger's usage refusals, the Temporal client and the HTTP edge. Pure, so
// workflows import it. Only src/http/error-status.ts decides what each code
// is in HTTP (status, Retry-After); a code added here without an answer
// there does not compile, and test/unit/failure-codes.test.ts fails.
export const FailureCodes = {
  // Business rules and lifecycle refusals (workflow updates, domain validation).
  validation: 'validation_failed',
  paymentMethodRequired: 'payment_method_required',
  paymentFailed: 'payment_failed',
  paymentMethodRejected: 'payment_method_rejected',
  /** Unpaid invoices first (details: amountDueCents, invoiceIds). */
  paymentRequired: 'payment_required',
  conflict: 'conflict',
  invalidState: 'invalid_state',
  /** A plan change while the term-end step (renewal or cancellation) is blocked: nothing was charged; try again later. */
  renewalPending: 'renewal_pending',
  idempotencyConflict: 'idempotency_conflict',
  notFound: 'not_found',
  /** Creating a workspace under the id of a purged one: ids are not reused (its invoices refer to it). */
  workspaceIdRetired: 'workspace_id_retired',

  // The usage hot path (SPEC section 4).
  creditLimitReached: 'credit_limit_reached',
  featureDisabled: 'feature_disabled',
  subscriptionCancelled: 'subscription_cancelled',
  workspaceDeleted: 'workspace_deleted',
  workspaceNotReady: 'workspace_not_ready',
  unknownAction: 'unknown_action',

  // Not refusals: the request could not be completed now; the same request again can.
  /** The workflow did not answer in time; it keeps working on the request. */
  stillProcessing: 'still_processing',
  databaseUnavailable: 'database_unavailable',
  internal: 'internal',

  // The HTTP edge: requests refused before any rule runs.
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  invalidJson: 'invalid_json',
  bodyTooLarge: 'body_too_large',
  unsupportedMediaType: 'unsupported_media_type',
  malformedRequest: 'malformed_request',
  headersTooLarge: 'headers_too_large',
  requestTimeout: 'request_timeout',
  badUrl: 'bad_url',
  /** A known path asked with a method it does not have (the answer's Allow header lists those it has). */
  methodNotAllowed: 'method_not_allowed',
  /** Any other request Fastify itself refuses (its status is kept). */
  badRequest: 'bad_request',

  // The Stripe webhook.
  invalidSignature: 'invalid_signature',
  malformedEvent: 'malformed_event',
  eventInProgress: 'event_in_progress',
  signalFailed: 'signal_failed',
} as const;

export type FailureCode = (typeof FailureCodes)[keyof typeof FailureCodes];

export const ALL_FAILURE_CODES: readonly FailureCode[] = Object.values(FailureCodes);

const known = new Set<string>(ALL_FAILURE_CODES);

export function isFailureCode(value: unknown): value is FailureCode {
  return typeof value === 'string' && known.has(value);
}

/**
 * A failure with a code from the taxonomy, a message for people and details
 * for programs. Thrown by domain, ledger, Temporal-client and HTTP code alike;
 * the API answers it as src/http/error-status.ts says for its code.
 */
export class CodedError<C extends FailureCode = FailureCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CodedError';
  }
}
