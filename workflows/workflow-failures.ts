// Failures the workflow reports (coded, non-retryable: the API maps the code
// to a status) and how it reads the failures of its activities.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { FailureCodes } from '../src/domain/failure-codes';
import { BillingRuleError } from '../src/domain/workspace';

export function failure(code: string, message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({ type: code, message, nonRetryable: true, details: details ? [details] : undefined });
}

/** A refusal for want of a card, naming the endpoint that sets one (a message change only: replays are unaffected). */
export function paymentMethodRequired(workspaceId: string, why: string): ApplicationFailure {
  return failure(
    FailureCodes.paymentMethodRequired,
    `${why}: set one with PUT /v1/workspaces/${workspaceId}/payment-method {"paymentMethod": "pm_..."}`,
  );
}

/** A decision's refusal as the failure the API maps; a missing card names the endpoint that sets one. */
export function refusal(workspaceId: string, code: string, message: string): ApplicationFailure {
  return code === FailureCodes.paymentMethodRequired ? paymentMethodRequired(workspaceId, message) : failure(code, message);
}

/** Turns a domain rule refusal into the failure the API maps to a status. */
export function rule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof BillingRuleError) throw failure(err.code, err.message);
    throw err;
  }
}

/** The non-retryable ApplicationFailure behind a failed activity, if that is what it is. */
export function activityCause(err: unknown, type: string): ApplicationFailure | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type === type ? cause : null;
}

/** The decline reason from a failed charge activity, or null when it is not a payment failure. */
export function paymentFailureReason(err: unknown): string | null {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure && cause.type === 'PaymentFailed') {
    const details = cause.details?.[0] as { reason?: string; code?: string } | undefined;
    return details?.reason ?? details?.code ?? cause.message;
  }
  return null;
}
