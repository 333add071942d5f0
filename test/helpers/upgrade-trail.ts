// The workflow tasks that failed in a workspace's history chain during a
// rolling upgrade, each judged. While both builds run, a worker of the old
// build can be handed a task of a run the new build already advanced (the
// new build's patch marker is in the history: the old code cannot replay it
// and fails the task). That failure is harmless once a worker of the new
// build completed a later task of the same run: Temporal retried it there.
// Any other failure, a failure on the new build (it could not replay the
// old build's history), a run that failed, or a run whose last workflow task
// did not complete is not.
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface TaskFailures {
  /** Old-build failures on runs the new build had advanced, completed later by the new build. */
  retriedOnNewBuild: string[];
  /** Everything else that went wrong with the chain's workflow tasks and runs. */
  unresolved: string[];
}

/** Whether a marker event records the patch `patchId` (its details name it). */
export function recordsPatch(event: HistoryEvent, patchId: string): boolean {
  const details = event.markerRecordedEventAttributes?.details;
  if (!details) return false;
  return Object.values(details).some((p) => Buffer.from(p.payloads?.[0]?.data ?? []).toString().includes(patchId));
}

const ENDED_BADLY: Array<[keyof HistoryEvent, string]> = [
  ['workflowExecutionFailedEventAttributes', 'failed'],
  ['workflowExecutionTimedOutEventAttributes', 'timed out'],
  ['workflowExecutionTerminatedEventAttributes', 'was terminated'],
  ['workflowExecutionCanceledEventAttributes', 'was cancelled'],
];

/**
 * Judges the failed workflow tasks of `events` (every run of one workflow,
 * oldest first): workers name themselves `<oldBuild>/...` and `<newBuild>/...`,
 * and the new build records `patchId` where its change runs.
 */
export function judgeTaskFailures(events: HistoryEvent[], builds: { oldBuild: string; newBuild: string; patchId: string }): TaskFailures {
  const result: TaskFailures = { retriedOnNewBuild: [], unresolved: [] };
  const runs: HistoryEvent[][] = [];
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes || runs.length === 0) runs.push([]);
    runs.at(-1)!.push(e);
  }
  runs.forEach((run, r) => {
    let changeRecorded = false;
    let lastTaskEvent: 'completed' | 'other' | null = null;
    const waiting: string[] = []; // old-build failures not yet followed by a new-build completion
    for (const e of run) {
      if (recordsPatch(e, builds.patchId)) changeRecorded = true;
      for (const [field, what] of ENDED_BADLY) if (e[field]) result.unresolved.push(`run ${r} ${what}`);
      const completed = e.workflowTaskCompletedEventAttributes;
      if (completed) {
        lastTaskEvent = 'completed';
        if (completed.identity?.startsWith(`${builds.newBuild}/`)) result.retriedOnNewBuild.push(...waiting.splice(0));
        continue;
      }
      if (e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskTimedOutEventAttributes) lastTaskEvent = 'other';
      const failed = e.workflowTaskFailedEventAttributes;
      if (!failed) continue;
      lastTaskEvent = 'other';
      const what = `run ${r}, event ${String(e.eventId)}: ${failed.identity ?? '?'} failed a task (${String(failed.cause)}: ${failed.failure?.message ?? ''})`;
      if (failed.identity?.startsWith(`${builds.oldBuild}/`) && changeRecorded) waiting.push(what);
      else result.unresolved.push(what);
    }
    result.unresolved.push(...waiting.map((w) => `${w}; no later task of the run completed on ${builds.newBuild}`));
    if (r === runs.length - 1 && lastTaskEvent !== 'completed') result.unresolved.push(`run ${r}: its last workflow task did not complete`);
  });
  return result;
}
