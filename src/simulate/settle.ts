// The barrier before each look and event: every workspace workflow idle (no
// workflow task and no activity open in its history), so what virtual time has made due
// is done before the next request runs. The clock is stopped meanwhile, so
// waiting in real time changes nothing in virtual time.
// A CommonJS package: Node's ESM loader sees only its default export.
import proto from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { workflowIdFor } from '../../workflows/definitions';

// Short at first (most waits are one activity), then backing off; cheap, since only one workflow is polled at a time.
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;
const PATIENCE_MS = 120_000;

const { EventType } = proto.temporal.api.enums.v1;
const OPENS = new Set([EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]);

/**
 * What the workflow (its current run, or the given one) still has to do, from
 * its history (the test server does not report pending workflow tasks): a
 * workflow or activity task scheduled and not yet closed, or a run that
 * continued as new (its successor may be busy).
 */
export async function busy(env: TestWorkflowEnvironment, workspaceId: string, runId?: string): Promise<{ what: string | null; events: number }> {
  let history;
  try {
    history = await env.client.workflow.getHandle(workflowIdFor(workspaceId), runId).fetchHistory();
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return { what: null, events: 0 }; // a refused sign-up, or not created yet
    throw err;
  }
  const open = new Map<string, string>();
  let continued = false;
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.eventType != null && OPENS.has(e.eventType)) {
      open.set(id, e.activityTaskScheduledEventAttributes?.activityType?.name ?? 'a workflow task');
      continue;
    }
    const closes =
      e.workflowTaskCompletedEventAttributes?.scheduledEventId ??
      e.workflowTaskFailedEventAttributes?.scheduledEventId ??
      e.workflowTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCompletedEventAttributes?.scheduledEventId ??
      e.activityTaskFailedEventAttributes?.scheduledEventId ??
      e.activityTaskTimedOutEventAttributes?.scheduledEventId ??
      e.activityTaskCanceledEventAttributes?.scheduledEventId;
    if (closes != null) open.delete(String(closes));
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) continued = true;
  }
  const events = history.events?.length ?? 0;
  if (continued) return { what: 'a run that continued as new', events };
  return { what: open.size ? [...open.values()].join(', ') : null, events };
}

/**
 * Waits until every given workflow is idle. It looks at all of them once, then
 * polls only the first busy one (the others work meanwhile) and looks at the
 * rest again when that one is idle: 100 workflows renewing at one instant
 * cost a few dozen history fetches, not a hundred per poll (fetching and
 * decoding them took a tenth of the simulator's CPU while renewals ran).
 * A workflow found idle stays idle: the clock is stopped and nothing else
 * sends it work meanwhile.
 */
export async function settle(env: TestWorkflowEnvironment, workspaceIds: Iterable<string>): Promise<void> {
  let pending = [...workspaceIds];
  let looking = pending.length;
  let pollMs = FIRST_POLL_MS;
  // Patience is for a system that stopped moving: a busy machine renewing many workspaces may take long, with progress.
  let deadline = Date.now() + PATIENCE_MS;
  let lastProgress = '';
  for (;;) {
    const states = await Promise.all(pending.slice(0, looking).map(async (id) => [id, await busy(env, id)] as const));
    const still = states.filter(([, s]) => s.what !== null);
    pending = [...still.map(([id]) => id), ...pending.slice(looking)];
    if (pending.length === 0) return;
    if (still.length === 0) {
      looking = pending.length; // the one polled is idle: look at the rest at once
      continue;
    }
    const progress = `${pending.length}:${still.map(([id, s]) => `${id}:${s.events}`).join(',')}`;
    if (progress !== lastProgress) {
      lastProgress = progress;
      deadline = Date.now() + PATIENCE_MS;
    } else if (Date.now() > deadline) {
      const more = pending.length - still.length;
      throw new Error(
        `workflows made no progress for ${PATIENCE_MS / 1000} s: ${still.map(([id, s]) => `${id} (${s.what})`).join('; ')}${more ? ` and ${more} more not idle` : ''}`,
      );
    }
    looking = 1;
    await sleep(pollMs);
    pollMs = Math.min(MAX_POLL_MS, pollMs * 1.5);
  }
}
