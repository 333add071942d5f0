// What the Stripe webhook route hands to a workspace's workflow (a Signal).
// Shared by the HTTP layer (sender) and the workflow (receiver).

export const PAYMENT_SIGNAL_NAME = 'payment';

export interface PaymentSignal {
  /** Stripe event id (evt_...); the workflow may use it to ignore repeats. */
  eventId: string;
  type: 'payment_succeeded' | 'payment_failed';
  invoiceId: string;
  paymentIntentId: string;
  /** Stripe's human-readable reason, for failures. */
  reason?: string;
  /** Stripe's error/decline code, for failures (card_declined, insufficient_funds, ...). */
  code?: string;
}
