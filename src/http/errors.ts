// Failures the HTTP layer itself raises; each is answered as error-status.ts
// says for its code, in the shape {"error": {"code", "message", ...details}} (SPEC section 7).
import { CodedError } from '../domain/failure-codes';
import { DATABASE_RETRY_AFTER_SECONDS } from './error-status';

export const notFound = (what: string) => new CodedError('not_found', `${what} was not found`);

export const databaseUnavailable = () =>
  new CodedError(
    'database_unavailable',
    `the billing database is unavailable right now and this request was not completed; retry in ${DATABASE_RETRY_AFTER_SECONDS} s with the same idempotency key`,
  );
