// Writes a workspace workflow's histories (every run of its continue-as-new
// chain) into the replay corpus, test/workflow/histories/<path>-runN.json.
// Never overwrites: a history recorded by older workflow code is worth keeping
// (it proves old runs still replay). After an intentional, patched change,
// record a new set beside the old one with HISTORY_SET=<name>
// (<path>-<name>-runN.json), or delete old files deliberately in the same commit.
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { settled } from '../../test/helpers/workflow-history';

type History = temporal.api.history.v1.IHistory;

export const historiesDir = fileURLToPath(new URL('../../test/workflow/histories/', import.meta.url));

/** The file a run of a recorded path goes to (HISTORY_SET names a new set beside older ones). */
export function historyFile(pathName: string, run: number): string {
  const set = process.env.HISTORY_SET ? `-${process.env.HISTORY_SET}` : '';
  return path.join(historiesDir, `${pathName}${set}-run${run}.json`);
}

/** The history of one run, read again until the workflow has handled everything in it. */
async function settledHistory(client: Client, workflowId: string, runId: string | undefined): Promise<History> {
  for (let i = 0; ; i++) {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    if (settled(history.events ?? []) || i >= 100) return history;
    await sleep(50);
  }
}

/** Every run of the chain that ends with `runId` (default: the latest run), oldest first. */
export async function chainHistories(client: Client, workflowId: string, runId?: string): Promise<History[]> {
  const runs: History[] = [];
  for (let current = runId; ; ) {
    const history = await settledHistory(client, workflowId, current);
    runs.unshift(history);
    const previous = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) return runs;
    current = previous;
  }
}

/** Writes the chain as <pathName>-run1.json ...; returns the file names. Refuses to overwrite. */
export async function recordChain(client: Client, workflowId: string, pathName: string, runId?: string): Promise<string[]> {
  const runs = await chainHistories(client, workflowId, runId);
  const files = runs.map((_, i) => historyFile(pathName, i + 1));
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) {
    throw new Error(
      `refusing to overwrite recorded histories ${existing.map((f) => path.basename(f)).join(', ')}: ` +
        'record a new set with HISTORY_SET=<name>, or delete them deliberately first',
    );
  }
  mkdirSync(historiesDir, { recursive: true });
  runs.forEach((h, i) => writeFileSync(files[i]!, historyToJSON(h)));
  return files.map((f) => path.basename(f));
}
