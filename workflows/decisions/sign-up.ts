// Sign-up (SPEC rules 1 and 2), decided without Temporal: the request is
// checked, then the first term is paid before the workspace exists; a
// refused sign-up creates nothing (its invoice is voided) and ends the run.
import type { EnterpriseTerms, PricingConfig } from '../../src/domain/pricing';
import { BillingRuleError, validateCreateRequest, validateImportedAnchor, validateRequestText } from '../../src/domain/workspace';
import { FailureCodes } from '../../src/domain/failure-codes';
import type { WorkspaceState } from '../state';
import type { Steps, Stopped } from './steps';
import { currentTerm } from './terms';

/**
 * How the sign-up runs: `current` for sign-ups since SIGNUP_ATTEMPTS
 * (invisible until paid, one invoice per attempt, a refusal marked
 * `signup_failed`); `checksText` since SETUP_TEXT_RULE; `invoiceKey`: the
 * attempt's own invoice key (since SIGNUP_ATTEMPTS; older runs used the
 * term's renewal key); `pdfAfterAnswer` since SIGNUP_PDF_AFTER_ANSWER
 * (current runs only): the first invoice's PDF is the last step, after the
 * phase that answers the create.
 */
export interface SignUpContext {
  now: number;
  importedAnchor: number | undefined;
  checksText: boolean;
  current: boolean;
  invoiceKey: string | undefined;
  pdfAfterAnswer: boolean;
}

export type SignUpDecision =
  /** A request no rule accepts: nothing is written (only visibility tells, in current runs). */
  | { kind: 'refuse'; steps: Steps }
  /**
   * Pay the first term, then open it; a rejected card or a declined payment stops the plan (signUpRefusedSteps).
   * `afterAnswer`: run once the create is answered (the first invoice's PDF, since SIGNUP_PDF_AFTER_ANSWER).
   */
  | { kind: 'subscribe'; steps: Steps; afterAnswer: Steps };

/** True when an imported anchor is refused (asked before the text rule's patch, which older runs reached only past this check). */
export function importedAnchorRefused(importedAnchor: number | undefined, now: number): boolean {
  return refusalOf(() => importedAnchor !== undefined && validateImportedAnchor(importedAnchor, now)) !== null;
}

export function decideSignUp(s: WorkspaceState, pricing: PricingConfig, ctx: SignUpContext): SignUpDecision {
  const req = s.request;
  let terms: EnterpriseTerms;
  try {
    if (ctx.importedAnchor !== undefined) validateImportedAnchor(ctx.importedAnchor, ctx.now);
    // Text no table can store (a lone surrogate) would wedge the first activity: refused as a failed setup.
    if (ctx.checksText) validateRequestText(req);
    terms = validateCreateRequest(pricing, req);
  } catch (err) {
    if (!(err instanceof BillingRuleError)) throw err;
    const setupFailure = { code: err.code, message: err.message };
    // Nothing was written: in current runs only visibility says so.
    const visible: Steps = ctx.current ? [{ kind: 'update-state', patch: { status: 'signup_failed' } }, { kind: 'publish' }] : [];
    return { kind: 'refuse', steps: [...visible, { kind: 'update-state', patch: { phase: 'setup_failed', setupFailure } }] };
  }
  const term = currentTerm(s);
  const pdfAfterAnswer = ctx.current && ctx.pdfAfterAnswer;
  const paid: Steps = ctx.current
    ? [{ kind: 'update-state', patch: { status: 'active' } }, { kind: 'sync', summary: 'Workspace created: first term paid' }]
    : [];
  const deliver: Steps = [{ kind: 'finalize-invoice' }];
  return {
    kind: 'subscribe',
    steps: [
      // The row exists before the payment (the Stripe customer and the invoice refer to it) but is no workspace yet.
      { kind: 'update-state', patch: { planCredits: terms.monthlyCredits, planPriceCents: terms.monthlyPriceCents, ...(ctx.current ? { status: 'signing_up' as const } : {}) } },
      { kind: 'sync', summary: 'Create workspace read model' },
      ...(req.paymentMethod ? [{ kind: 'attach-payment-method' as const, paymentMethod: req.paymentMethod }] : []),
      { kind: 'issue-base-invoice', term, key: ctx.invoiceKey },
      { kind: 'charge', onDecline: { then: 'stop' } },
      { kind: 'open-term', term },
      ...(pdfAfterAnswer ? [] : deliver),
      ...paid,
      // The create is answered in the workflow task that sets this phase.
      { kind: 'update-state', patch: { phase: 'subscribed' } },
    ],
    afterAnswer: pdfAfterAnswer ? deliver : [],
  };
}

/**
 * A refused sign-up creates nothing: a charged invoice is voided (it keeps
 * its number), the read-model row is marked `signup_failed` (the API shows
 * no workspace; ops tell it from a purged one), and only then is the refusal
 * recorded, to be reported in the workflow task that ends this run, so the
 * next attempt (any body) starts a new run. Runs from before SIGNUP_ATTEMPTS
 * recorded the refusal first, marked the row deleted, then voided.
 */
export function signUpRefusedSteps(stop: Stopped, current: boolean): Steps {
  const [setupFailure, summary] =
    'rejected' in stop
      ? [{ code: FailureCodes.paymentMethodRejected, message: `the payment method was rejected: ${stop.rejected}` }, 'Payment method rejected: workspace not created']
      : [{ code: FailureCodes.paymentFailed, message: `the first payment failed: ${stop.declined.reason}` }, 'First payment failed: workspace not created'];
  const voided: Steps = 'declined' in stop ? [{ kind: 'void-invoice', invoice: stop.declined.invoice, reason: stop.declined.reason }] : [];
  if (!current) {
    return [{ kind: 'update-state', patch: { phase: 'setup_failed', status: 'deleted', setupFailure } }, { kind: 'sync', summary }, ...voided];
  }
  return [
    ...voided,
    { kind: 'update-state', patch: { status: 'signup_failed' } },
    { kind: 'sync', summary },
    { kind: 'update-state', patch: { phase: 'setup_failed', setupFailure } },
  ];
}

/** The rule refusal `check` throws, else null (other errors propagate). */
function refusalOf(check: () => unknown): BillingRuleError | null {
  try {
    check();
    return null;
  } catch (err) {
    if (err instanceof BillingRuleError) return err;
    throw err;
  }
}
