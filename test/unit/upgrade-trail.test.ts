// The rolling-upgrade drill's rule for failed workflow tasks
// (test/helpers/upgrade-trail.ts), on made-up histories: only an old-build
// failure on a run the new build advanced, retried there, is let through.
import type { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { judgeTaskFailures } from '../helpers/upgrade-trail';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const builds = { oldBuild: 'build-a', newBuild: 'build-b', patchId: 'drill-build-b' };
const ev = (attrs: HistoryEvent): HistoryEvent => attrs;
const started = () => ev({ workflowExecutionStartedEventAttributes: {} });
const completedBy = (identity: string) => ev({ workflowTaskCompletedEventAttributes: { identity } });
const failedBy = (identity: string) =>
  ev({ workflowTaskFailedEventAttributes: { identity, cause: 24, failure: { message: 'Nondeterminism error' } } });
const scheduled = () => ev({ workflowTaskScheduledEventAttributes: {} });
const patchMarker = () =>
  ev({
    markerRecordedEventAttributes: {
      markerName: 'core_patch',
      details: { 'patch-data': { payloads: [{ data: Buffer.from(JSON.stringify({ id: 'drill-build-b', deprecated: false })) }] } },
    },
  });
const judge = (events: HistoryEvent[]) => judgeTaskFailures(events, builds);

describe('judging failed workflow tasks of a rolling upgrade', () => {
  it('a chain without failures, ending on a completed task, is healthy', () => {
    expect(judge([started(), completedBy('build-a/a1'), started(), completedBy('build-b/b1'), patchMarker()])).toEqual({ retriedOnNewBuild: [], unresolved: [] });
  });

  it('lets through an old-build failure after the new build recorded its change, once the new build completed a later task', () => {
    const { retriedOnNewBuild, unresolved } = judge([started(), completedBy('build-b/b1'), patchMarker(), failedBy('build-a/a2'), scheduled(), completedBy('build-b/b2')]);
    expect(unresolved).toEqual([]);
    expect(retriedOnNewBuild).toEqual([expect.stringContaining('build-a/a2 failed a task')]);
  });

  it('refuses an old-build failure no new-build task followed', () => {
    expect(judge([started(), completedBy('build-b/b1'), patchMarker(), failedBy('build-a/a2'), completedBy('build-a/a1')]).unresolved).toEqual([
      expect.stringMatching(/build-a\/a2 failed a task .* no later task of the run completed on build-b/),
    ]);
  });

  it('refuses an old-build failure before the new build changed anything in that run', () => {
    const { unresolved } = judge([started(), patchMarker(), completedBy('build-b/b1'), started(), failedBy('build-a/a1'), completedBy('build-b/b1')]);
    expect(unresolved).toEqual([expect.stringContaining('run 1, event')]);
  });

  it('refuses any new-build failure (it could not replay the old build\'s history)', () => {
    expect(judge([started(), completedBy('build-a/a1'), failedBy('build-b/b1'), completedBy('build-b/b2')]).unresolved).toEqual([
      expect.stringContaining('build-b/b1 failed a task'),
    ]);
  });

  it('refuses a chain whose current run has not completed its last task, or a run that failed', () => {
    expect(judge([started(), completedBy('build-a/a1'), scheduled()]).unresolved).toEqual(['run 0: its last workflow task did not complete']);
    expect(judge([started(), completedBy('build-a/a1'), ev({ workflowExecutionFailedEventAttributes: {} })]).unresolved).toEqual(['run 0 failed']);
  });
});
