// What is compared after every command: the HTTP answer with the model's,
// then (once the workflow is idle) the workspace as the API shows it and the
// invariants of issue 13 (./invariants.ts) and the invoices, one by one
// (./invoice-check.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Answer, BillingModel } from './reference/model';
import { invariantViolations } from './invariants';
import { invoiceDivergence } from './invoice-check';
import type { ModelSystem } from './system';

/** The model side of a run: the reference model and what the commands need to remember. */
export interface World {
  m: BillingModel;
  ws: string;
  keys: string[];
  purchaseKeys: string[];
  /** A Stripe fault window was opened in this sequence (a blocked step is then allowed until it has closed long enough). */
  faultWindow: boolean;
  /** The virtual instant at which the window was first seen closed (its failures all fired); null while open. */
  faultClosedAt: number | null;
  log: string[];
}

export class ModelDivergence extends Error {}

export function compareAnswer(w: World, what: string, expected: Answer | Answer[], actual: Answer | Answer[]): void {
  if (process.env.MODEL_VERBOSE) console.log(`    -> ${JSON.stringify(actual)}`);
  if (!isDeepStrictEqual(expected, actual)) {
    throw new ModelDivergence(`${what}: the API answered ${JSON.stringify(actual)}, the model says ${JSON.stringify(expected)}`);
  }
}

/** Waits until the workspace's workflow is idle and the API shows what the model expects (activities run in real time). */
export async function afterCommand(w: World, sys: ModelSystem, what: string): Promise<void> {
  await sys.restartsDone();
  const view = w.m.view();
  // The term is compared while subscribed: it moves at renewal even when nothing else shows it.
  const expected = view && { ...view, termEnd: w.m.phase === 'subscribed' ? new Date(w.m.term().end).toISOString() : null };
  let shown: unknown;
  let calm = 0;
  for (let i = 0; i < 600; i++) {
    const wf = await sys.workflowActivity(w.ws);
    const res = await sys.call('GET', `/v1/workspaces/${w.ws}`);
    shown =
      res.status === 404
        ? null
        : { status: res.body.status, plan: res.body.plan, balance: res.body.balance, termEnd: w.m.phase === 'subscribed' ? res.body.term?.end ?? null : null };
    const idle = !wf || !wf.running || wf.pendingActivities === 0;
    const charged = sys.h.sandbox.paymentIntents().filter((p) => p.metadata.workspace_id === w.ws && p.status === 'succeeded').length;
    // Idle twice in a row: between two activities a workflow task may be pending with none running.
    if (idle && isDeepStrictEqual(shown, expected) && charged >= w.m.charges) {
      if (++calm >= 2) break;
    } else calm = 0;
    await sleep(i < 20 ? 50 : 100);
  }
  if (!isDeepStrictEqual(shown, expected)) {
    throw new ModelDivergence(`after ${what}: the API shows ${JSON.stringify(shown)}, the model says ${JSON.stringify(expected)}`);
  }
  // A step still finishing (an invoice marked paid just after its charge) is waited for; a broken invariant stays broken.
  const broken = async () => {
    const invoices = await invoiceDivergence(sys, w);
    return [...(await invariantViolations(sys, w)), ...(invoices ? [invoices] : [])];
  };
  let violations = await broken();
  for (let i = 0; i < 40 && violations.length > 0; i++) {
    await sleep(250);
    violations = await broken();
  }
  if (violations.length > 0) throw new ModelDivergence(`after ${what}: invariants broken:\n  ${violations.join('\n  ')}`);
}
