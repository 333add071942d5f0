// A credit purchase (SPEC rule 8), decided without Temporal: refused when the
// subscription is cancelled, the key was used for another amount, or no card
// is on file; a key already paid answers its first result; otherwise a new
// payment attempt: invoice, charge (a decline voids it), then the credits.
import { FailureCodes } from '../../src/domain/failure-codes';
import type { PurchaseRequest, PurchaseResult } from '../definitions';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';
import { currentTerm } from './terms';

export type PurchaseDecision =
  | { kind: 'refuse'; code: string; message: string }
  | { kind: 'answered'; result: PurchaseResult }
  /** `attempt`: this payment attempt's number for the key (one invoice per attempt). */
  | { kind: 'buy'; attempt: number };

export function decidePurchase(s: WorkspaceState, req: PurchaseRequest): PurchaseDecision {
  if (s.phase !== 'subscribed') {
    return { kind: 'refuse', code: FailureCodes.invalidState, message: 'the subscription is cancelled: re-subscribe to buy credits' };
  }
  const known = s.purchases.find(([k]) => k === req.idempotencyKey)?.[1];
  if (known && known.credits !== req.credits) {
    return {
      kind: 'refuse',
      code: FailureCodes.conflict,
      message: `idempotencyKey '${req.idempotencyKey}' was used for a purchase of ${known.credits} credits`,
    };
  }
  if (known?.result) return { kind: 'answered', result: known.result };
  if (!s.paymentMethod) return { kind: 'refuse', code: FailureCodes.paymentMethodRequired, message: 'buying credits needs a payment method on file' };
  return { kind: 'buy', attempt: (known?.attempts ?? 0) + 1 };
}

/** The purchase key of `req` (its result's id; the ledger key of purchases recorded before sale numbers). */
export const purchaseKey = (s: WorkspaceState, req: PurchaseRequest): string => `purchase:${s.request.id}:${req.idempotencyKey}`;

/** The steps of payment attempt `attempt`: rule 8, credits only after the payment succeeded. */
export function purchaseSteps(s: WorkspaceState, req: PurchaseRequest, attempt: number): Steps {
  const key = purchaseKey(s, req);
  return [
    { kind: 'issue-purchase-invoice', credits: req.credits, term: currentTerm(s), legacyKey: `${key}:${attempt}` },
    { kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'purchase payment failed: ' } },
    { kind: 'grant-purchased-credits', credits: req.credits, purchaseKey: key },
    { kind: 'finalize-invoice' },
  ];
}
