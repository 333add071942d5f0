// Rolling-upgrade drill on the Temporal dev server: workspaces started by build
// A (today's workflow bundle) renew one after another while build B (the same
// workflow plus a real change behind patched(), test/faults/fixtures/build-b-change.ts)
// takes over by a rolling restart: B workers start, A workers drain one by one.
// Afterwards every workspace renewed exactly once, no workflow failed, build B
// never failed a workflow task (it replays every history build A wrote), and
// exactly the renewals that build B executed carry its change. While both
// builds run, a build-A worker may be handed a task of a run build B already
// changed and fail it (non-determinism); that is allowed only where build B
// then completed a later task of that run, and every history ends on a
// completed task (test/helpers/upgrade-trail.ts). FAULT_SEED=<n> replays one schedule.
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Pool } from '../../src/db/pool';
import { anchorWithTermEndingAt } from '../../src/domain/terms';
import type { StripeSandbox } from '../../src/stripe-sandbox/server';
import type { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowsPath } from '../../src/temporal/worker';
import { bundleWorkflows } from '../helpers/bundle';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack';
import { expectRenewedOnce, renewedCount } from '../helpers/renewal-audit';
import { seededRandom } from '../helpers/seeded-random';
import { busy } from '../helpers/state-snapshot';
import { judgeTaskFailures, recordsPatch } from '../helpers/upgrade-trail';
import { historyChain } from '../helpers/workflow-history';
import { uniqueId } from '../helpers/workspaces';
import { WorkerProcess } from '../helpers/worker-process';
import { DRILL_MEMO_KEY, DRILL_PATCH, openedTerm } from './fixtures/build-b-change';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Build = 'a' | 'b';

const WORKSPACES = 10;
const RENEWAL_SPACING_MS = 800;
const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);
const buildBChange = fileURLToPath(new URL('./fixtures/build-b-change.ts', import.meta.url));
const drillWorker = 'test/faults/fixtures/drill-worker.ts';

let stack: FaultStack;
let sandbox: StripeSandbox;
let pool: Pool;
let client: Client;
let workflows: BillingWorkflows;
const bundles: Record<Build, string> = { a: '', b: '' };
const running = new Set<WorkerProcess>();
const prefix = uniqueId('roll');
const ids = Array.from({ length: WORKSPACES }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  stack = await startFaultStack('roll');
  ({ sandbox, pool, client, workflows } = stack);
  bundles.a = inject('workflowBundlePath');
  bundles.b = path.join(stack.tmp, 'build-b.js');
  writeFileSync(bundles.b, (await bundleWorkflows(workflowsPath, [buildBChange])).code);
}, 120_000);

afterAll(async () => {
  await Promise.all([...running].map((w) => w.stop()));
  await stack?.stop();
});

/** Starts worker `name` of a build; its identity (in every workflow task it completes) starts with `build-<b>`. */
async function startWorker(build: Build, name: string): Promise<WorkerProcess> {
  const w = new WorkerProcess({ ...stack.workerEnv, DRILL_WORKFLOW_BUNDLE: bundles[build], DRILL_IDENTITY: `build-${build}/${name}` }, drillWorker);
  await w.start();
  running.add(w);
  return w;
}

async function drain(w: WorkerProcess): Promise<void> {
  await w.stop();
  running.delete(w);
}

/** What the history says about the renewal: which build scheduled opening term 1, and whether build B's change ran. */
function renewalTrail(events: HistoryEvent[]) {
  const at = events.findIndex((e) => {
    const s = e.activityTaskScheduledEventAttributes;
    const arg = s?.input?.payloads?.[0];
    if (!s?.activityType?.name || !arg) return false;
    return openedTerm(s.activityType.name, defaultPayloadConverter.fromPayload(arg)) === 1;
  });
  // The task that scheduled it: earlier in the same run (event ids restart in every run).
  const taskId = Number(events[at]?.activityTaskScheduledEventAttributes?.workflowTaskCompletedEventId);
  const completedBy = events.slice(0, Math.max(at, 0)).reverse().find((e) => Number(e.eventId) === taskId)?.workflowTaskCompletedEventAttributes?.identity;
  return {
    openedBy: (completedBy?.match(/^build-([ab])\//)?.[1] ?? null) as Build | null,
    patchMarkers: events.filter((e) => recordsPatch(e, DRILL_PATCH)).length,
    // The memo a run upserted (the next run starts without it: continue-as-new does not carry memos).
    memoUpserts: events
      .map((e) => e.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields?.[DRILL_MEMO_KEY])
      .filter((p) => p)
      .map((p) => defaultPayloadConverter.fromPayload(p!)),
    ...judgeTaskFailures(events, { oldBuild: 'build-a', newBuild: 'build-b', patchId: DRILL_PATCH }),
  };
}

describe(`rolling restart from build A to build B during ${WORKSPACES} renewals (FAULT_SEED=${seed})`, () => {
  it('renews every workspace once, build B fails no workflow task, every history ends healthy, and build B\'s change runs exactly where build B renewed', async () => {
    const rnd = seededRandom(seed);
    const startedAt = Date.now();
    const a = await Promise.all([startWorker('a', 'a1'), startWorker('a', 'a2')]);
    const workerStartMs = Date.now() - startedAt; // build B's workers must be up before T: the lead scales with this

    // Renewals due one after another from T (imported subscriptions whose current term ends then), so
    // that some run before the roll, some while it runs and some after it.
    const renewAt = Math.ceil((Date.now() + 8_000 + 2 * workerStartMs) / 1000) * 1000;
    const dueAt = (i: number) => renewAt + i * RENEWAL_SPACING_MS;
    const created = await Promise.all(
      ids.map((id, i) =>
        workflows.createWorkspace(
          { id, name: `Upgrade drill ${id}`, billingEmail: 'finance@example.com', billingAddress: { country: 'US', region: 'NY' }, plan: 'pro', paymentMethod: 'pm_card_visa' },
          { anchorAt: anchorWithTermEndingAt(dueAt(i)) },
        ),
      ),
    );
    expect(created.map((c) => c.workspace.termEnd)).toEqual(ids.map((_, i) => dueAt(i)));
    const chargesBefore = sandbox.charges().length;

    // The roll, as with a surge of new instances: build B's workers start, then build A's drain one by one
    // (SIGTERM: in-flight tasks finish, the cached workflows move on) while the renewals are due.
    const b = await Promise.all([startWorker('b', 'b1'), startWorker('b', 'b2')]);
    expect(Date.now()).toBeLessThan(renewAt); // otherwise the roll misses the renewals
    const steps: string[] = [];
    for (const [i, w] of a.entries()) {
      // Not a wait for something: where in the renewal schedule each A worker drains is the drill's (seeded) plan.
      await sleep(dueAt(2 * i + 1) - Date.now() + Math.floor(rnd() * RENEWAL_SPACING_MS));
      steps.push(`a${i + 1} drained from T+${Date.now() - renewAt} ms`);
      await drain(w);
    }
    console.log(`seed ${seed}: ${steps.join(', ')}; ${await renewedCount(pool, ids)} of ${WORKSPACES} renewed by then`);
    expect(b.every((w) => running.has(w))).toBe(true);

    // Renewed, and every workflow idle again (nothing in flight, no workflow task waiting for a retry).
    const settled = async () => (await renewedCount(pool, ids)) === WORKSPACES && !(await Promise.all(ids.map((id) => busy(client, id)))).some(Boolean);
    await vi.waitFor(async () => expect(await settled(), `${await renewedCount(pool, ids)} of ${WORKSPACES} renewed; all idle`).toBe(true), { timeout: 90_000, interval: 300 });
    const trails = await Promise.all(ids.map(async (id) => ({ id, ...renewalTrail(await historyChain(client, id)) })));
    // Build B never failed a task, no workflow failed, every history ends on a completed task; build A's failures
    // (if any) were on runs build B had changed, and build B completed them.
    expect(trails.filter((t) => t.unresolved.length > 0).map((t) => [t.id, t.unresolved])).toEqual([]);
    const retried = trails.flatMap((t) => t.retriedOnNewBuild.map((f) => `${t.id} ${f}`));
    console.log(`seed ${seed}: ${retried.length} build-A workflow task failures retried on build B${retried.length ? `:\n  ${retried.join('\n  ')}` : ''}`);
    // Runs of both builds kept billing correctly (and the state queries replay on build B only now).
    await expectRenewedOnce({ pool, sandbox, workflows, ids, chargesBefore });

    console.log(`seed ${seed}: term 1 opened by build ${trails.map((t) => t.openedBy).join(', ')}`);
    for (const t of trails) {
      // Build B's change ran where build B opened the term (one patch marker, the memo upsert naming term 1), nowhere else:
      // a renewal build A began replays on build B without the change.
      const changed = t.openedBy === 'b';
      expect(t).toEqual({
        id: t.id,
        openedBy: expect.stringMatching(/^[ab]$/),
        patchMarkers: changed ? 1 : 0,
        memoUpserts: changed ? [1] : [],
        retriedOnNewBuild: expect.any(Array),
        unresolved: [],
      });
    }
    // The drill reached the change: some renewals ran on build B (every one of those replayed build A's history).
    expect(trails.filter((t) => t.openedBy === 'b').length).toBeGreaterThan(0);
  }, 240_000);
});
