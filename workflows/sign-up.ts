// Sign-up: decided by decisions/sign-up.ts, carried out by the executor. The
// first term is paid before the workspace exists; a refused sign-up creates
// nothing and ends the run.
import { condition, patched, workflowInfo } from '@temporalio/workflow';
import type { CreateResult } from './definitions';
import { SIGNUP_ATTEMPTS, SIGNUP_LOCAL_ACTIVITIES, SETUP_TEXT_RULE } from './patches';
import { failure } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { decideSignUp, importedAnchorRefused, signUpRefusedSteps } from './decisions/sign-up';
import { runSteps } from './executor';

export async function setUp(b: BillingContext): Promise<void> {
  // Sign-ups since this patch: invisible until paid, one invoice per attempt, a refusal marked signup_failed.
  const current = patched(SIGNUP_ATTEMPTS);
  // Since SIGNUP_LOCAL_ACTIVITIES: the steps run in the workflow task that answers the create, the PDF right after.
  const local = current && patched(SIGNUP_LOCAL_ACTIVITIES);
  const now = Date.now();
  // Asked only past the anchor check, where runs before the split asked it.
  const checksText = !importedAnchorRefused(b.importedAnchor, now) && patched(SETUP_TEXT_RULE);
  // Unique per sign-up attempt (a refused attempt's run ends; the next attempt is a new run), so a retry never meets the void invoice.
  const invoiceKey = current ? `signup:${b.id}:${workflowInfo().runId}` : undefined;
  const decision = decideSignUp(b.s, b.pricing!, { now, importedAnchor: b.importedAnchor, checksText, current, invoiceKey, local });
  const { stopped } = await runSteps(b, decision.steps);
  if (stopped) await runSteps(b, signUpRefusedSteps(stopped, current));
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
