// Reading a workspace workflow's event history across its continue-as-new
// chain, to count what it did (activities scheduled, signals received).
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../../workflows/definitions';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Every event of every run of the workspace's workflow, oldest run first. */
export async function historyChain(client: Client, workspaceId: string): Promise<HistoryEvent[]> {
  const runs: HistoryEvent[][] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(workflowIdFor(workspaceId), runId).fetchHistory();
    const events = history.events ?? [];
    runs.unshift(events);
    const previous = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs.flat();
    runId = previous;
  }
}

const decode = (payload: temporal.api.common.v1.IPayload | null | undefined): unknown =>
  payload ? defaultPayloadConverter.fromPayload(payload) : undefined;

export interface ScheduledActivity {
  eventId: number;
  type: string;
  summary: string;
  input: unknown;
  /** Attempt number of the start recorded for it (the last one: Temporal records only the attempt that ended it). */
  attempt: number | null;
  outcome: 'completed' | 'failed' | 'timed_out' | 'pending';
  /** The failure's type (ApplicationFailure.type) when it failed. */
  failureType: string | null;
}

/** Activities scheduled in these events, with their final attempt and outcome. */
export function scheduledActivities(events: HistoryEvent[]): ScheduledActivity[] {
  const byId = new Map<string, ScheduledActivity>();
  // Event ids restart in every run: key by run (the position of its WorkflowExecutionStarted) and id.
  let run = 0;
  const key = (id: unknown) => `${run}:${String(id)}`;
  const list: ScheduledActivity[] = [];
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) run += 1;
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const a: ScheduledActivity = {
        eventId: Number(e.eventId),
        type: s.activityType?.name ?? '',
        summary: String(decode(e.userMetadata?.summary) ?? ''),
        input: decode(s.input?.payloads?.[0]),
        attempt: null,
        outcome: 'pending',
        failureType: null,
      };
      byId.set(key(e.eventId), a);
      list.push(a);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) byId.get(key(started.scheduledEventId))!.attempt = started.attempt ?? null;
    if (e.activityTaskCompletedEventAttributes) byId.get(key(e.activityTaskCompletedEventAttributes.scheduledEventId))!.outcome = 'completed';
    const failed = e.activityTaskFailedEventAttributes;
    if (failed) {
      const a = byId.get(key(failed.scheduledEventId))!;
      a.outcome = 'failed';
      a.failureType = failed.failure?.cause?.applicationFailureInfo?.type ?? failed.failure?.applicationFailureInfo?.type ?? null;
    }
    if (e.activityTaskTimedOutEventAttributes) byId.get(key(e.activityTaskTimedOutEventAttributes.scheduledEventId))!.outcome = 'timed_out';
  }
  return list;
}

/** Signals received, in order, with their name and first argument. */
export function receivedSignals(events: HistoryEvent[]): Array<{ name: string; arg: unknown }> {
  return events
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((s): s is temporal.api.history.v1.IWorkflowExecutionSignaledEventAttributes => Boolean(s))
    .map((s) => ({ name: s.signalName ?? '', arg: decode(s.input?.payloads?.[0]) }));
}

/** Timer summaries (e.g. "Wait for payment retry ..."), in order. */
export function timerSummaries(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.timerStartedEventAttributes).map((e) => String(decode(e.userMetadata?.summary) ?? ''));
}

/**
 * True when the workflow has handled everything in these events: a workflow task completed after the last
 * signal and after the last task scheduled (an activity's result the workflow has not seen yet schedules
 * one), and every activity it scheduled has finished. (A signal that arrives during a workflow task is only
 * written to the history when that task completes, so read again until this holds.)
 */
export function settled(events: HistoryEvent[]): boolean {
  const lastIndex = (match: (e: HistoryEvent) => unknown) => events.reduce((last, e, i) => (match(e) ? i : last), -1);
  const lastSignal = lastIndex((e) => e.workflowExecutionSignaledEventAttributes);
  const lastTaskScheduled = lastIndex((e) => e.workflowTaskScheduledEventAttributes);
  const lastTaskCompleted = lastIndex((e) => e.workflowTaskCompletedEventAttributes);
  return lastTaskCompleted > Math.max(lastSignal, lastTaskScheduled) && scheduledActivities(events).every((a) => a.outcome !== 'pending');
}
