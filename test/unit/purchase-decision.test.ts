// A credit purchase decided without Temporal (rule 8): refusals, the answer
// a paid key keeps, and a new attempt's steps (credits only after payment).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureCodes } from '../../src/domain/failure-codes';
import { decidePurchase, purchaseSteps } from '../../workflows/decisions/purchase';
import { currentTerm } from '../../workflows/decisions/terms';
import type { WorkspaceState } from '../../workflows/state';
import { subscribedState } from '../helpers/decision-state';

const req = { credits: 500, idempotencyKey: 'buy-1' };
const paid = { id: 'purchase:ws-1:buy-1', credits: 500, amountCents: 1000, status: 'paid' as const, invoiceId: 'inv-7' };
const withPurchase = (entry: WorkspaceState['purchases'][number][1], over: Partial<WorkspaceState> = {}) =>
  subscribedState({ purchases: [['buy-1', entry]], ...over });

describe('decidePurchase', () => {
  it('refused while cancelled, for a key used with another amount, and without a card', () => {
    expect(decidePurchase(subscribedState({ phase: 'retention' }), req)).toMatchObject({ kind: 'refuse', code: FailureCodes.invalidState });
    expect(decidePurchase(withPurchase({ credits: 100, attempts: 1, result: null }), req)).toMatchObject({ kind: 'refuse', code: FailureCodes.conflict });
    expect(decidePurchase(subscribedState({ paymentMethod: null }), req)).toMatchObject({ kind: 'refuse', code: FailureCodes.paymentMethodRequired });
  });

  it('a paid key answers its first result (even without a card now); a declined one is a new attempt', () => {
    expect(decidePurchase(withPurchase({ credits: 500, attempts: 1, result: paid }, { paymentMethod: null }), req)).toEqual({ kind: 'answered', result: paid });
    expect(decidePurchase(withPurchase({ credits: 500, attempts: 2, result: null }), req)).toEqual({ kind: 'buy', attempt: 3 });
    expect(decidePurchase(subscribedState(), req)).toEqual({ kind: 'buy', attempt: 1 });
  });

  it("an attempt's steps: its own invoice, the charge (a decline voids it and refuses), then the credits, then delivery", () => {
    const s = subscribedState();
    expect(purchaseSteps(s, req, 2)).toEqual([
      { kind: 'issue-purchase-invoice', credits: 500, term: currentTerm(s), legacyKey: 'purchase:ws-1:buy-1:2' },
      { kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'purchase payment failed: ' } },
      { kind: 'grant-purchased-credits', credits: 500, purchaseKey: 'purchase:ws-1:buy-1' },
      { kind: 'finalize-invoice' },
    ]);
  });
});

describe('decidePurchase (property)', () => {
  it('a key is charged again only while unpaid and only for its amount; every attempt has its own invoice key', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.option(fc.record({ credits: fc.integer({ min: 1, max: 10_000 }), attempts: fc.integer({ min: 1, max: 20 }), paid: fc.boolean() }), { nil: null }),
        (credits, earlier) => {
          const r = { credits, idempotencyKey: 'k' };
          const s = subscribedState({
            purchases: earlier ? [['k', { credits: earlier.credits, attempts: earlier.attempts, result: earlier.paid ? { ...paid, credits: earlier.credits } : null }]] : [],
          });
          const d = decidePurchase(s, r);
          const expected = earlier && earlier.credits !== credits ? 'refuse' : earlier?.paid ? 'answered' : 'buy';
          expect(d.kind).toBe(expected);
          if (d.kind !== 'buy') return;
          expect(d).toEqual({ kind: 'buy', attempt: (earlier?.attempts ?? 0) + 1 });
          const [invoice, charge, grant] = purchaseSteps(s, r, d.attempt);
          expect(invoice).toMatchObject({ kind: 'issue-purchase-invoice', legacyKey: `purchase:ws-1:k:${d.attempt}` });
          expect([charge!.kind, grant!.kind]).toEqual(['charge', 'grant-purchased-credits']);
        },
      ),
    );
  });
});
