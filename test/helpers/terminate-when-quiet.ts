// Ends a test's workflow without leaving the time-skipping test server locked.
// The server holds a time-skipping lock for every workflow task and activity
// task it has handed out, and releases it when the task completes, fails or
// times out; a terminate does not release it, and the late completion or
// timeout of a terminated workflow's task is refused before the release. One
// leaked lock and every later time skip of the test file runs in real time:
// a 30-day advance then waits 30 days (the model checker's idle "hang").
// So: wait until nothing is handed out, then terminate.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { busy } from '../../src/simulate/settle';
import { workflowIdFor } from '../../workflows/definitions';

const ATTEMPTS = 400;

/**
 * Terminates the workspace's workflow once nothing is handed out: no workflow
 * task and no activity open in its history (the simulator's barrier test,
 * src/simulate/settle.ts; the test server's describe does not show a pending
 * workflow task). Twice the same quiet history of the same run, then that run
 * is terminated by its id: a run that continues as new meanwhile is not
 * taken for its successor, whose first task may be out. An activity waiting
 * for its retry gets there when virtual time moves on: a retry's backoff holds
 * no lock, so those small skips are skips. Returns false when it had to
 * terminate with work still open.
 */
export async function terminateWhenQuiet(env: TestWorkflowEnvironment, workspaceId: string, reason: string): Promise<boolean> {
  const workflowId = workflowIdFor(workspaceId);
  let seenQuiet: string | null = null;
  for (let i = 0; i < ATTEMPTS; i++) {
    let runId: string;
    try {
      const d = await env.client.workflow.getHandle(workflowId).describe();
      if (d.status.name !== 'RUNNING') return true;
      runId = d.runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true; // a refused sign-up, or never started
      throw err;
    }
    const { what, events } = await busy(env, workspaceId, runId);
    const snapshot = `${runId}:${events}`;
    if (what === null && seenQuiet === snapshot) {
      try {
        await env.client.workflow.getHandle(workflowId, runId).terminate(reason);
        return true;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // that run ended meanwhile: look again
      }
    }
    seenQuiet = what === null ? snapshot : null;
    if (what !== null && !what.includes('a workflow task') && i % 10 === 9) await env.sleep(5_000);
    else await sleep(25);
  }
  try {
    await env.client.workflow.getHandle(workflowId).terminate(reason);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return false;
}
