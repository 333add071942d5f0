// Replays every recorded history in test/workflow/histories (one per billing
// path, made by `npm run record:histories`, plus older recordings kept to prove
// old runs still replay) against the current workflow bundle: a change that is
// not replay-compatible fails the build instead of wedging running workspaces.
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, inject, it } from 'vitest';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')));

/** The paths the corpus must cover (scripts/record/path-histories.rec.ts records them). */
const PATHS = [
  'signup-paid',
  'signup-declined',
  'signup-card-rejected',
  'renewal-overage',
  'dunning-past-due-recovery',
  'payment-webhook',
  'late-payment-refund',
  'upgrade-paid-declined',
  'purchase-declined-retried',
  'downgrade-at-renewal',
  'downgrade-withdrawn',
  'cancel-retention-purge',
  'resubscribe',
  'blocked-step-recovery',
  'imported-anchor',
  'continue-as-new-chain',
  'lifecycle',
];

// The current workflow code, bundled once for the run (test/setup/workflow-bundle.ts).
const bundle = { codePath: inject('workflowBundlePath') };
/** Replay outcome of every file: null when it replayed, else the error (a DeterminismViolationError or any other). */
const outcomes = new Map<string, Error | null>();

beforeAll(async () => {
  // One replay worker for the whole corpus; the file name is the workflow id, to tell the results apart.
  const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories) as AsyncIterable<ReplayResult>) {
    outcomes.set(result.workflowId, result.error ?? null);
  }
});

describe('replay of recorded histories', () => {
  it('covers every path, at least 10 histories', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    const missing = PATHS.filter((p) => !files.some((f) => new RegExp(`^${p}(-[\\w.]+)?-run\\d+\\.json$`).test(f)));
    expect(missing).toEqual([]);
  });

  it.each(files)('%s replays against the current workflow code', (file) => {
    expect(outcomes.has(file), `${file} was not replayed`).toBe(true);
    const error = outcomes.get(file);
    if (error) throw error; // its name and message say which command or patch did not match
  });

  it('an incompatible history is detected (the check can fail)', async () => {
    const history = load('lifecycle-run1.json');
    // As if older code had called another activity first: the current code's command no longer matches.
    const scheduled = history.events!.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType = { name: 'someRemovedActivity' };
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'tampered')).rejects.toThrow(/[Nn]ondetermin/);
  });
});
