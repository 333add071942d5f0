// Sign-up: the first term is paid before the workspace exists; a refused
// sign-up creates nothing and ends the run.
import { ApplicationFailure, condition, patched, workflowInfo } from '@temporalio/workflow';
import type { InvoiceSummary } from '../src/domain/invoice';
import type { EnterpriseTerms } from '../src/domain/pricing';
import { BillingRuleError, validateImportedAnchor, validateCreateRequest, validateRequestText } from '../src/domain/workspace';
import { FailureCodes, type CreateResult } from './definitions';
import { SIGNUP_ATTEMPTS, SIGNUP_LOCAL_ACTIVITIES, SETUP_TEXT_RULE } from './patches';
import { deliverInNextRun } from './deliveries';
import type { WorkspaceState } from './state';
import { failure } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { charge, attachPaymentMethod, voidUnpaid, finalize } from './payments';
import { sync, publish } from './read-model';
import { issueBaseInvoice, openTerm } from './term-activities';

export async function setUp(b: BillingContext): Promise<void> {
  // Sign-ups since this patch: invisible until paid, one invoice per attempt, a refusal marked signup_failed.
  const current = patched(SIGNUP_ATTEMPTS);
  // Since SIGNUP_LOCAL_ACTIVITIES: the steps run in the workflow task that answers the create, the PDF right after.
  const local = current && patched(SIGNUP_LOCAL_ACTIVITIES);
  const via = local ? b.local : b.act;
  const req = b.s.request;
  let terms: EnterpriseTerms;
  try {
    if (b.importedAnchor !== undefined) validateImportedAnchor(b.importedAnchor, Date.now());
    // Text no table can store (a lone surrogate) would wedge the first activity: refused as a failed setup.
    if (patched(SETUP_TEXT_RULE)) validateRequestText(req);
    terms = validateCreateRequest(b.pricing!, req);
  } catch (err) {
    if (!(err instanceof BillingRuleError)) throw err;
    if (current) {
      b.s.status = 'signup_failed';
      publish(b); // nothing was written: only visibility says so
    }
    b.s.phase = 'setup_failed';
    b.s.setupFailure = { code: err.code, message: err.message };
    return;
  }
  b.s.planCredits = terms.monthlyCredits;
  b.s.planPriceCents = terms.monthlyPriceCents;
  // The row exists before the payment (the Stripe customer and the invoice refer to it) but is no workspace yet.
  if (current) b.s.status = 'signing_up';
  await sync(b, 'Create workspace read model', via);
  if (req.paymentMethod) {
    try {
      await attachPaymentMethod(b, req.paymentMethod, via);
    } catch (err) {
      if (!(err instanceof ApplicationFailure)) throw err;
      const refusal = { code: err.type ?? FailureCodes.paymentMethodRejected, message: err.message };
      await refuseSignUp(b, refusal, 'Payment method rejected: workspace not created', null, current);
      return;
    }
  }
  const term = b.term();
  // Unique per sign-up attempt (a refused attempt's run ends; the next attempt is a new run), so a retry never meets the void invoice.
  const invoice = await issueBaseInvoice(b, term, { key: current ? `signup:${b.id}:${workflowInfo().runId}` : undefined, via });
  if (invoice && invoice.totalCents > 0) {
    const reason = await charge(b, invoice, 1, via);
    if (reason !== null) {
      const refusal = { code: FailureCodes.paymentFailed, message: `the first payment failed: ${reason}` };
      await refuseSignUp(b, refusal, 'First payment failed: workspace not created', { invoice, reason }, current);
      return;
    }
  }
  await openTerm(b, term, via);
  // Delivered by the main loop once the create is answered (deliveries.ts).
  if (invoice && local) deliverInNextRun(b, invoice);
  else if (invoice) await finalize(b, invoice);
  if (current) {
    b.s.status = 'active';
    await sync(b, 'Workspace created: first term paid', via);
  }
  b.s.phase = 'subscribed';
}

/**
 * A refused sign-up creates nothing: a charged invoice is voided (it keeps
 * its number), the read-model row is marked `signup_failed` (the API shows
 * no workspace; ops tell it from a purged one), and only then is the refusal
 * reported, in the workflow task that ends this run, so the next attempt
 * (any body) starts a new run.
 */
export async function refuseSignUp(b: BillingContext,
  refusal: { code: string; message: string },
  summary: string,
  charged: { invoice: InvoiceSummary; reason: string } | null,
  current: boolean,
): Promise<void> {
  if (!current) {
    // Histories from before SIGNUP_ATTEMPTS: reported first, marked deleted.
    Object.assign(b.s, { phase: 'setup_failed', status: 'deleted', setupFailure: refusal } satisfies Partial<WorkspaceState>);
    await sync(b, summary);
    if (charged) await voidUnpaid(b, charged.invoice, charged.reason);
    return;
  }
  if (charged) await voidUnpaid(b, charged.invoice, charged.reason);
  b.s.status = 'signup_failed';
  await sync(b, summary);
  Object.assign(b.s, { phase: 'setup_failed', setupFailure: refusal } satisfies Partial<WorkspaceState>);
}

export async function onCreate(b: BillingContext): Promise<CreateResult> {
  await condition(() => b.s.phase !== 'setup');
  if (b.s.phase === 'setup_failed') {
    const f = b.s.setupFailure!;
    throw failure(f.code, f.message);
  }
  const created = !b.s.createAcknowledged;
  b.s.createAcknowledged = true;
  return { created, workspace: b.snapshot() };
}
