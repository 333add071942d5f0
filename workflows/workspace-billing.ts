// The per-workspace billing workflow (SPEC section 6). Foundation version:
// runs the term loop on durable timers and continues-as-new at each renewal.
import { continueAsNew, sleep } from '@temporalio/workflow';
import { termAt, type Instant } from '../src/domain/terms';

export interface WorkspaceBillingInput {
  workspaceId: string;
  plan: string;
  /** Subscription start instant; every term boundary derives from it. */
  anchor: Instant;
  termIndex: number;
}

export async function workspaceBilling(input: WorkspaceBillingInput): Promise<void> {
  const term = termAt(input.anchor, input.termIndex);
  const wait = term.end - Date.now();
  if (wait > 0) await sleep(wait);
  await continueAsNew<typeof workspaceBilling>({ ...input, termIndex: input.termIndex + 1 });
}
