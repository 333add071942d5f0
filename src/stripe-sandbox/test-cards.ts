// Stripe's test payment methods the sandbox knows, and what a charge on each does.
// https://docs.stripe.com/testing lists the same ids.

export type CardOutcome =
  | { kind: 'succeed' }
  /** `atAttach`: Stripe checks the card when it is attached and refuses it there (every decline card but 0341). */
  | { kind: 'decline'; declineCode: string; message: string; atAttach: boolean }
  /** 3-D Secure on every payment: on-session it asks for action, off-session Stripe declines with authentication_required. */
  | { kind: 'requires_action' };

export interface TestCard {
  brand: string;
  last4: string;
  outcome: CardOutcome;
}

const declined = (declineCode: string, message: string, atAttach = true): CardOutcome => ({ kind: 'decline', declineCode, message, atAttach });
const GENERIC = 'Your card was declined.';

export const TEST_CARDS: Record<string, TestCard> = {
  pm_card_visa: { brand: 'visa', last4: '4242', outcome: { kind: 'succeed' } },
  pm_card_visa_debit: { brand: 'visa', last4: '5556', outcome: { kind: 'succeed' } },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: { kind: 'succeed' } },
  pm_card_amex: { brand: 'amex', last4: '8431', outcome: { kind: 'succeed' } },
  pm_card_chargeDeclined: { brand: 'visa', last4: '0002', outcome: declined('generic_decline', GENERIC) },
  pm_card_visa_chargeDeclined: { brand: 'visa', last4: '0002', outcome: declined('generic_decline', GENERIC) },
  // The one decline card Stripe lets you put on file: attaching succeeds, every charge then fails.
  pm_card_chargeCustomerFail: { brand: 'visa', last4: '0341', outcome: declined('generic_decline', GENERIC, false) },
  pm_card_chargeDeclinedInsufficientFunds: {
    brand: 'visa',
    last4: '9995',
    outcome: declined('insufficient_funds', 'Your card has insufficient funds.'),
  },
  pm_card_authenticationRequired: { brand: 'visa', last4: '3184', outcome: { kind: 'requires_action' } },
};
