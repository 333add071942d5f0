// The one place a failure code becomes an HTTP answer (SPEC section 7):
// its status, a Retry-After for failures that a retry fixes, and the code
// clients see where it differs from ours. Typed as a total map: a code
// added to the taxonomy without an answer here does not compile.
import type { FailureCode } from '../domain/failure-codes';
import { CodedError } from '../domain/failure-codes';

export interface HttpAnswer {
  status: number;
  /** Sent as Retry-After (seconds). */
  retryAfterSeconds?: number;
  /** The code in the body when it is not the failure's own (kept for clients of the API). */
  wireCode?: string;
}

/** Seconds a client should wait before retrying while Postgres is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;
/** Seconds a client should wait before asking a busy workflow again. */
export const STILL_PROCESSING_RETRY_AFTER_SECONDS = 5;

export const HTTP_ANSWERS: Readonly<Record<FailureCode, HttpAnswer>> = {
  validation_failed: { status: 422 },
  payment_method_required: { status: 422 },
  unknown_action: { status: 422 },

  payment_failed: { status: 402 },
  payment_method_rejected: { status: 402 },
  payment_required: { status: 402 },
  credit_limit_reached: { status: 402 },

  feature_disabled: { status: 403 },
  subscription_cancelled: { status: 403 },
  workspace_deleted: { status: 403 },

  not_found: { status: 404 },

  conflict: { status: 409 },
  idempotency_conflict: { status: 409 },
  invalid_state: { status: 409 },
  renewal_pending: { status: 409 },
  workspace_not_ready: { status: 409 },
  // The id is taken by a purged workspace: a conflict, named as the API always has.
  workspace_id_retired: { status: 409, wireCode: 'workspace_deleted' },

  still_processing: { status: 503, retryAfterSeconds: STILL_PROCESSING_RETRY_AFTER_SECONDS },
  database_unavailable: { status: 503, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
  internal: { status: 500 },

  unauthorized: { status: 401 },
  forbidden: { status: 403 },
  invalid_json: { status: 400 },
  body_too_large: { status: 413 },
  unsupported_media_type: { status: 415 },
  malformed_request: { status: 400 },
  headers_too_large: { status: 431 },
  request_timeout: { status: 408 },
  bad_url: { status: 400 },
  method_not_allowed: { status: 405 },
  // Fastify's own refusals keep the status Fastify gave them (app.ts); this is the default.
  bad_request: { status: 400 },

  invalid_signature: { status: 400 },
  malformed_event: { status: 400 },
  event_in_progress: { status: 503 },
  signal_failed: { status: 503 },
};

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, ...details } };
}

/** Status, headers and body of the answer to a failure. */
export function httpAnswerOf(err: CodedError): { status: number; headers: Record<string, string>; body: ReturnType<typeof errorBody> } {
  const answer = HTTP_ANSWERS[err.code];
  return {
    status: answer.status,
    headers: answer.retryAfterSeconds === undefined ? {} : { 'retry-after': String(answer.retryAfterSeconds) },
    body: errorBody(answer.wireCode ?? err.code, err.message, err.details),
  };
}
