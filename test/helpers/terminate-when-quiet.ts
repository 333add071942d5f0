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

const RUNNING = 1; // WORKFLOW_EXECUTION_STATUS_RUNNING
const ATTEMPTS = 400;

const TASK_SCHEDULED = 5; // EVENT_TYPE_WORKFLOW_TASK_SCHEDULED
const TASK_STARTED = 6; // EVENT_TYPE_WORKFLOW_TASK_STARTED

/**
 * What the server has handed out for the workflow (null: it is not running).
 * The test server's describe lists pending activities but not a pending
 * workflow task: that one is read from the end of the history.
 */
async function pendingWork(env: TestWorkflowEnvironment, workflowId: string): Promise<{ tasks: number; activities: number } | null> {
  const namespace = env.namespace ?? 'default';
  try {
    const raw = await env.client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
    if (raw.workflowExecutionInfo?.status !== RUNNING) return null;
    let last: number | null | undefined;
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await env.client.workflowService.getWorkflowExecutionHistory({ namespace, execution: raw.workflowExecutionInfo.execution!, nextPageToken });
      last = page.history?.events?.at(-1)?.eventType ?? last;
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    return { tasks: last === TASK_SCHEDULED || last === TASK_STARTED ? 1 : 0, activities: raw.pendingActivities?.length ?? 0 };
  } catch (err) {
    if ((err as { code?: number }).code === 5) return null; // NOT_FOUND
    throw err;
  }
}

/**
 * Terminates the workflow once no workflow task and no activity is pending
 * (activities waiting for a retry get there when virtual time moves on; a
 * retry's backoff holds no lock, so the small time skips here are skips).
 * Returns false when it had to terminate with work still pending.
 */
export async function terminateWhenQuiet(env: TestWorkflowEnvironment, workflowId: string, reason: string): Promise<boolean> {
  let quiet = false;
  for (let i = 0; i < ATTEMPTS && !quiet; i++) {
    const pending = await pendingWork(env, workflowId);
    if (pending === null) return true;
    quiet = pending.tasks === 0 && pending.activities === 0;
    if (quiet) break;
    if (pending.tasks === 0 && i % 10 === 9) await env.sleep(5_000);
    else await sleep(25);
  }
  try {
    await env.client.workflow.getHandle(workflowId).terminate(reason);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err; // ended already (purged, refused sign-up)
  }
  return quiet;
}
