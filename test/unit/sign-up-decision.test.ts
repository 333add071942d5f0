// Sign-up decided without Temporal (SPEC rules 1 and 2): a request no rule
// accepts writes nothing; otherwise the first term is invoiced and charged
// before it opens, and a rejected card or a declined payment stops the plan,
// whose refusal voids the invoice and marks the attempt failed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { FailureCodes } from '../../src/domain/failure-codes';
import { decideSignUp, importedAnchorRefused, signUpRefusedSteps, type SignUpContext } from '../../workflows/decisions/sign-up';
import type { Step, Steps } from '../../workflows/decisions/steps';
import { currentTerm } from '../../workflows/decisions/terms';
import { initialState, type WorkspaceState } from '../../workflows/state';
import { T0 } from '../helpers/decision-state';

const pricing = loadPricing();
const kinds = (steps: Steps) => steps.map((s) => s.kind);
const request = (over: Partial<WorkspaceState['request']> = {}): WorkspaceState['request'] =>
  ({ id: 'ws-1', name: 'Acme', billingEmail: 'billing@acme.test', plan: 'pro', paymentMethod: 'pm_card_visa', ...over }) as WorkspaceState['request'];
const ctx = (over: Partial<SignUpContext> = {}): SignUpContext => ({
  now: T0,
  importedAnchor: undefined,
  checksText: true,
  current: true,
  invoiceKey: 'signup:ws-1:run-1',
  pdfAfterAnswer: false,
  ...over,
});
const fresh = (over: Partial<WorkspaceState['request']> = {}, anchorAt?: number) => initialState(request(over), T0, anchorAt);
/** The state after running `steps`' state changes in order (what the executor's update-state steps do). */
const applied = (s: WorkspaceState, steps: Steps): WorkspaceState =>
  steps.reduce((acc, st) => (st.kind === 'update-state' ? { ...acc, ...st.patch } : acc), s);

describe('decideSignUp', () => {
  it('a paid plan: read model first, then the card, the invoice of the first term charged (a decline stops), the term opened, delivered, active', () => {
    const s = fresh();
    const d = decideSignUp(s, pricing, ctx());
    expect(d.kind).toBe('subscribe');
    expect(kinds(d.steps)).toEqual([
      'update-state', 'sync', 'attach-payment-method', 'issue-base-invoice', 'charge', 'open-term', 'finalize-invoice', 'update-state', 'sync', 'update-state',
    ]);
    const term = currentTerm(s);
    expect(d.steps).toContainEqual({ kind: 'update-state', patch: { planCredits: 100, planPriceCents: 2900, status: 'signing_up' } });
    expect(d.steps).toContainEqual({ kind: 'attach-payment-method', paymentMethod: 'pm_card_visa' });
    expect(d.steps).toContainEqual({ kind: 'issue-base-invoice', term, key: 'signup:ws-1:run-1' });
    expect(d.steps).toContainEqual({ kind: 'charge', onDecline: { then: 'stop' } });
    expect(d.steps).toContainEqual({ kind: 'open-term', term });
    expect(d.steps.slice(-3)).toEqual([
      { kind: 'update-state', patch: { status: 'active' } },
      { kind: 'sync', summary: 'Workspace created: first term paid' },
      { kind: 'update-state', patch: { phase: 'subscribed' } },
    ]);
  });

  it('since SIGNUP_PDF_AFTER_ANSWER: the same steps without the PDF, which comes after the phase that answers the create', () => {
    const s = fresh();
    const d = decideSignUp(s, pricing, ctx({ pdfAfterAnswer: true }));
    if (d.kind !== 'subscribe') throw new Error('expected a subscription');
    expect(kinds(d.steps)).toEqual([
      'update-state', 'sync', 'attach-payment-method', 'issue-base-invoice', 'charge', 'open-term', 'update-state', 'sync', 'update-state',
    ]);
    expect(d.steps.at(-1)).toEqual({ kind: 'update-state', patch: { phase: 'subscribed' } });
    expect(d.afterAnswer).toEqual([{ kind: 'finalize-invoice' }]);
  });

  it('before SIGNUP_PDF_AFTER_ANSWER, and in runs from before SIGNUP_ATTEMPTS, the PDF is rendered before the answer', () => {
    for (const over of [{ pdfAfterAnswer: false }, { current: false, invoiceKey: undefined, pdfAfterAnswer: true }]) {
      const d = decideSignUp(fresh(), pricing, ctx(over));
      if (d.kind !== 'subscribe') throw new Error('expected a subscription');
      expect(kinds(d.steps)).toContain('finalize-invoice');
      expect(d.afterAnswer).toEqual([]);
    }
  });

  it('the invoice is charged before the term opens (rule 2: paid before it exists)', () => {
    const d = decideSignUp(fresh(), pricing, ctx());
    const at = (k: Step['kind']) => kinds(d.steps).indexOf(k);
    expect(at('charge')).toBeLessThan(at('open-term'));
    expect(at('issue-base-invoice')).toBeLessThan(at('charge'));
  });

  it('without a card (a free plan) no card is attached', () => {
    const d = decideSignUp(fresh({ plan: 'free', paymentMethod: undefined }), pricing, ctx());
    expect(d.kind).toBe('subscribe');
    expect(kinds(d.steps)).not.toContain('attach-payment-method');
    expect(d.steps[0]).toEqual({ kind: 'update-state', patch: { planCredits: 25, planPriceCents: 0, status: 'signing_up' } });
  });

  it('runs from before SIGNUP_ATTEMPTS: no signing_up or active status change, the renewal key of the term', () => {
    const d = decideSignUp(fresh(), pricing, ctx({ current: false, invoiceKey: undefined }));
    expect(kinds(d.steps)).toEqual(['update-state', 'sync', 'attach-payment-method', 'issue-base-invoice', 'charge', 'open-term', 'finalize-invoice', 'update-state']);
    expect(d.steps[0]).toEqual({ kind: 'update-state', patch: { planCredits: 100, planPriceCents: 2900 } });
    expect(d.steps).toContainEqual({ kind: 'issue-base-invoice', term: currentTerm(fresh()), key: undefined });
  });

  it('a paid plan without a card is refused with payment_method_required: only visibility changes, the run ends as setup_failed', () => {
    const d = decideSignUp(fresh({ paymentMethod: undefined }), pricing, ctx());
    expect(d.kind).toBe('refuse');
    expect(d.steps).toEqual([
      { kind: 'update-state', patch: { status: 'signup_failed' } },
      { kind: 'publish' },
      { kind: 'update-state', patch: { phase: 'setup_failed', setupFailure: { code: FailureCodes.paymentMethodRequired, message: expect.stringContaining("plan 'pro' costs money") } } },
    ]);
  });

  it('an unknown plan, an anchor in the future, text no table stores: refused (validation_failed) before anything is written', () => {
    for (const [s, c] of [
      [fresh({ plan: 'platinum' }), ctx()],
      [fresh(), ctx({ importedAnchor: T0 + 1 })],
      [fresh({ name: 'Acme \uD800' }), ctx()],
    ] as const) {
      const d = decideSignUp(s, pricing, c);
      expect(d.kind).toBe('refuse');
      expect(kinds(d.steps)).not.toContain('sync');
      expect(applied(s, d.steps).setupFailure?.code).toBe(FailureCodes.validation);
    }
  });

  it('text is checked only since SETUP_TEXT_RULE; older runs refused nothing for it', () => {
    expect(decideSignUp(fresh({ name: 'Acme \uD800' }), pricing, ctx({ checksText: false })).kind).toBe('subscribe');
  });

  it('runs from before SIGNUP_ATTEMPTS refuse without a visible status', () => {
    const d = decideSignUp(fresh({ plan: 'platinum' }), pricing, ctx({ current: false }));
    expect(kinds(d.steps)).toEqual(['update-state']);
  });

  it('the imported anchor check, asked before the text rule: a past anchor passes, a future or unsafe one is refused', () => {
    expect(importedAnchorRefused(undefined, T0)).toBe(false);
    expect(importedAnchorRefused(T0 - 1, T0)).toBe(false);
    expect(importedAnchorRefused(T0 + 1, T0)).toBe(true);
    expect(importedAnchorRefused(0.5, T0)).toBe(true);
  });
});

describe('signUpRefusedSteps', () => {
  const invoice = { id: 'inv-1', number: 'INV-2026-000001' };

  it('a declined first payment: the invoice is voided first, the row marked signup_failed, then the refusal recorded', () => {
    expect(signUpRefusedSteps({ declined: { invoice, reason: 'card_declined' } }, true)).toEqual([
      { kind: 'void-invoice', invoice, reason: 'card_declined' },
      { kind: 'update-state', patch: { status: 'signup_failed' } },
      { kind: 'sync', summary: 'First payment failed: workspace not created' },
      { kind: 'update-state', patch: { phase: 'setup_failed', setupFailure: { code: FailureCodes.paymentFailed, message: 'the first payment failed: card_declined' } } },
    ]);
  });

  it('a rejected card: nothing to void; the refusal names Stripe reason', () => {
    const steps = signUpRefusedSteps({ rejected: 'Your card was declined.' }, true);
    expect(kinds(steps)).toEqual(['update-state', 'sync', 'update-state']);
    expect(steps.at(-1)).toEqual({
      kind: 'update-state',
      patch: { phase: 'setup_failed', setupFailure: { code: FailureCodes.paymentMethodRejected, message: 'the payment method was rejected: Your card was declined.' } },
    });
  });

  it('runs from before SIGNUP_ATTEMPTS: the refusal first (row marked deleted), then the void', () => {
    expect(kinds(signUpRefusedSteps({ declined: { invoice, reason: 'x' } }, false))).toEqual(['update-state', 'sync', 'void-invoice']);
    expect(signUpRefusedSteps({ rejected: 'x' }, false)[0]).toMatchObject({ patch: { status: 'deleted', phase: 'setup_failed' } });
  });
});

describe('sign-up (property)', () => {
  const plans = ['free', 'pro', 'growth', 'platinum'];
  it('a refusal writes nothing and ends in setup_failed with a code; an accepted sign-up charges before it opens and ends subscribed, active in current runs', () => {
    fc.assert(
      fc.property(fc.constantFrom(...plans), fc.boolean(), fc.boolean(), fc.option(fc.integer({ min: -400, max: 5 }), { nil: undefined }), (plan, card, current, anchorDays) => {
        const importedAnchor = anchorDays === undefined ? undefined : T0 + anchorDays * 86_400_000;
        const s = fresh({ plan, paymentMethod: card ? 'pm_card_visa' : undefined }, importedAnchor);
        const d = decideSignUp(s, pricing, ctx({ current, importedAnchor }));
        const after = applied(s, d.steps);
        if (d.kind === 'refuse') {
          expect(kinds(d.steps).filter((k) => k !== 'update-state' && k !== 'publish')).toEqual([]);
          expect(after.phase).toBe('setup_failed');
          expect(after.setupFailure?.code).toMatch(/^(validation_failed|payment_method_required)$/);
          expect(after.status).toBe(current ? 'signup_failed' : s.status);
          return;
        }
        const ks = kinds(d.steps);
        expect(ks.indexOf('charge')).toBeLessThan(ks.indexOf('open-term'));
        expect(ks.includes('attach-payment-method')).toBe(card);
        expect(after.phase).toBe('subscribed');
        expect(after.status).toBe('active');
        expect(after.planPriceCents === 0 || card).toBe(true);
        // Every refusal of a stopped plan ends the run failed, whatever stopped it.
        for (const stop of [{ rejected: 'no' }, { declined: { invoice: { id: 'i', number: 'n' }, reason: 'r' } }]) {
          const refused = applied(after, signUpRefusedSteps(stop, current));
          expect(refused.phase).toBe('setup_failed');
          expect(refused.status).toBe(current ? 'signup_failed' : 'deleted');
        }
      }),
    );
  });
});
