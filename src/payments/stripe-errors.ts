// Sorting Stripe failures into: the payment failed (tell the customer, do not
// retry this attempt), a bug on our side (do not retry), or a transient
// problem (retry with the same idempotency key).
import Stripe from 'stripe';

export type StripeFailure =
  | { kind: 'payment_failed'; code: string; declineCode: string | null; reason: string; paymentIntentId: string | null }
  | { kind: 'permanent'; type: string; message: string }
  | { kind: 'retryable'; message: string };

export function classifyStripeError(err: unknown): StripeFailure {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return { kind: 'retryable', message: err instanceof Error ? err.message : String(err) };
  }
  const status = err.statusCode;
  const message = `Stripe ${err.type}${status ? ` (${status})` : ''}: ${err.message}`;
  if (err instanceof Stripe.errors.StripeCardError) {
    return {
      kind: 'payment_failed',
      code: err.code ?? 'card_declined',
      declineCode: err.decline_code || null,
      reason: err.message,
      paymentIntentId: err.payment_intent?.id ?? null,
    };
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) return { kind: 'permanent', type: 'StripeIdempotencyMismatch', message };
  // Network errors, 5xx, rate limits and lock conflicts pass; so may a rotated key (401/403), once ops fix it.
  if (status === undefined || status >= 500 || status === 429 || status === 409 || status === 401 || status === 403) {
    return { kind: 'retryable', message };
  }
  // Other 4xx: Stripe refused this charge as asked (payment method gone, amount too small, ...).
  return { kind: 'payment_failed', code: err.code ?? 'invalid_request', declineCode: null, reason: err.message, paymentIntentId: null };
}
