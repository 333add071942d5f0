// Sign-up: decided by decisions/sign-up.ts, carried out by the executor. The
// first term is paid before the workspace exists; a refused sign-up creates
// nothing and ends the run.
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { CreateResult } from './definitions';
import { SIGNUP_ATTEMPTS, SIGNUP_PDF_AFTER_ANSWER, SETUP_TEXT_RULE } from './patches';
import { failure } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { decideSignUp, importedAnchorRefused, signUpRefusedSteps } from './decisions/sign-up';
import { runSteps } from './executor';

/**
 * Runs the sign-up; returns what is left to do once the create is answered
 * (the first invoice's PDF since SIGNUP_PDF_AFTER_ANSWER), for the main loop
 * to run as a step of its own: a retry of that step never plans the sign-up again.
 */
export async function setUp(b: BillingContext): Promise<(() => Promise<void>) | null> {
  // Sign-ups since this patch: invisible until paid, one invoice per attempt, a refusal marked signup_failed.
  const current = patched(SIGNUP_ATTEMPTS);
  // Since SIGNUP_PDF_AFTER_ANSWER: the create is answered before the first invoice's PDF is rendered.
  const pdfAfterAnswer = current && patched(SIGNUP_PDF_AFTER_ANSWER);
  const now = Date.now();
  // Asked only past the anchor check, where runs before the split asked it.
  const checksText = !importedAnchorRefused(b.importedAnchor, now) && patched(SETUP_TEXT_RULE);
  // Unique per sign-up attempt (a refused attempt's run ends; the next attempt is a new run), so a retry never meets the void invoice.
  const invoiceKey = current ? `signup:${b.id}:${workflowInfo().runId}` : undefined;
  const decision = decideSignUp(b.s, b.pricing!, { now, importedAnchor: b.importedAnchor, checksText, current, invoiceKey, pdfAfterAnswer });
  const carried = await runSteps(b, decision.steps);
  if (carried.stopped) {
    await runSteps(b, signUpRefusedSteps(carried.stopped, current));
    return null;
  }
  if (decision.kind !== 'subscribe' || decision.afterAnswer.length === 0) return null;
  const { afterAnswer } = decision;
  return async () => void (await runSteps(b, afterAnswer, carried));
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
