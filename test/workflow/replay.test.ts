// Replays the recorded lifecycle histories (test/workflow/histories, made by
// `npm run record:histories`) against the current workflow code: a change
// that is not replay-compatible fails the build instead of stuck workflows.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')));

// The current workflow code, bundled once for the run (test/setup/workflow-bundle.ts).
const bundle = { codePath: inject('workflowBundlePath') };

describe('replay of recorded histories', () => {
  it('has the full lifecycle on file', () => {
    expect(files).toEqual(['lifecycle-run1.json', 'lifecycle-run2.json', 'lifecycle-run3.json']);
  });

  it.each(files)('%s replays against the current workflow code', async (file) => {
    await Worker.runReplayHistory({ workflowBundle: bundle }, load(file), file);
  });

  it('an incompatible history is detected (the check can fail)', async () => {
    const history = load('lifecycle-run1.json');
    // As if older code had called another activity first: the current code's command no longer matches.
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'someRemovedActivity' };
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'tampered')).rejects.toThrow(/[Nn]ondetermin/);
  });
});
