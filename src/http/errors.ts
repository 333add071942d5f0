// One error type for every refusal the API answers with, rendered as
// {"error": {"code", "message", ...details}} (SPEC section 7).
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Sent as Retry-After (seconds) with the refusal. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} was not found`);

export function errorBody(code: string, message: string, details: Record<string, unknown> = {}) {
  return { error: { code, message, ...details } };
}

/** Seconds a client should wait before retrying while Postgres is unavailable (503). */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

export const databaseUnavailableBody = () =>
  errorBody(
    'database_unavailable',
    `the billing database is unavailable right now and this request was not completed; retry in ${DATABASE_RETRY_AFTER_SECONDS} s with the same idempotency key`,
  );
