// Payment outcomes that are answers, not glitches: the activities turn them
// into non-retryable ApplicationFailures carrying Stripe's reason.

/** The charge was refused (decline, authentication needed, no card on file, ...). */
export class PaymentFailedError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly paymentIntentId: string | null,
    readonly declineCode: string | null = null,
  ) {
    super(`payment failed: ${reason} (${declineCode ?? code})`);
    this.name = 'PaymentFailedError';
  }
}

/** Stripe refused to put this payment method on file. */
export class PaymentMethodRejectedError extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {
    super(`payment method rejected: ${reason} (${code})`);
    this.name = 'PaymentMethodRejectedError';
  }
}

/** A request Stripe will never accept as sent (a bug on our side, e.g. a reused idempotency key). */
export class PermanentStripeError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentStripeError';
  }
}
