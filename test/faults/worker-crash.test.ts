// Fault drill: 50 workspaces renew at the same instant on the Temporal dev
// server while the worker process (src/worker-main.ts, a child process) is
// SIGKILLed at random points and started again. Afterwards every term is
// opened once, every invoice exists once with a gapless number, every charge
// reached Stripe (the sandbox) once, and the ledger sums match the balances.
// FAULT_SEED=<n> replays one schedule of kills.
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pool } from '../../src/db/pool';
import { anchorWithTermEndingAt } from '../../src/domain/terms';
import type { StripeSandbox } from '../../src/stripe-sandbox/server';
import type { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowIdFor } from '../../workflows/definitions';
import { freePort } from '../setup/free-port';
import { startFaultStack, type FaultStack } from '../helpers/fault-stack';
import { expectRenewedOnce, renewedCount } from '../helpers/renewal-audit';
import { seededRandom } from '../helpers/seeded-random';
import { uniqueId } from '../helpers/workspaces';
import { WorkerProcess } from '../helpers/worker-process';

const WORKSPACES = 50;
const KILLS = 3;
const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

let stack: FaultStack;
let sandbox: StripeSandbox;
let pool: Pool;
let client: Client;
let workflows: BillingWorkflows;
let worker: WorkerProcess;
const prefix = uniqueId('crash');
const workflowIdPrefix = workflowIdFor(prefix);
const ids = Array.from({ length: WORKSPACES }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  stack = await startFaultStack('crash');
  ({ sandbox, pool, client, workflows } = stack);
  worker = new WorkerProcess({ ...stack.workerEnv, TEMPORAL_METRICS_PORT: String(await freePort()) });
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await stack?.stop();
});

async function termOneOpened(): Promise<boolean> {
  const { rows } = await pool.query(`SELECT 1 FROM credit_ledger WHERE workspace_id = ANY($1) AND kind = 'grant' AND term_index = 1 LIMIT 1`, [ids]);
  return rows.length > 0;
}

/** Steps the kills cut off, from the histories: retried activity attempts and timed-out workflow tasks. */
async function interruptions(): Promise<{ activityRetries: number; workflowTaskTimeouts: number }> {
  let activityRetries = 0;
  let workflowTaskTimeouts = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId STARTS_WITH '${workflowIdPrefix}'` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      if ((e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1) activityRetries++;
      if (e.workflowTaskTimedOutEventAttributes) workflowTaskTimeouts++;
    }
  }
  return { activityRetries, workflowTaskTimeouts };
}

describe(`worker killed at random points during ${WORKSPACES} renewals (FAULT_SEED=${seed})`, () => {
  it('opens every term once, issues every invoice once with gapless numbers, charges once, and the ledger sums match', async () => {
    const rnd = seededRandom(seed);
    // Everyone renews at T: imported subscriptions whose current term ends then.
    const renewAt = Math.ceil((Date.now() + 40_000) / 1000) * 1000;
    const anchorAt = anchorWithTermEndingAt(renewAt);
    const created = await Promise.all(
      ids.map((id) =>
        workflows.createWorkspace(
          {
            id,
            name: `Crash drill ${id}`,
            billingEmail: 'finance@example.com',
            billingAddress: { country: 'US', region: 'NY' },
            plan: 'pro',
            paymentMethod: 'pm_card_visa',
          },
          { anchorAt },
        ),
      ),
    );
    expect(created.every((c) => c.workspace.termEnd === renewAt)).toBe(true);
    const chargesBefore = sandbox.charges().length;
    expect(Date.now()).toBeLessThan(renewAt); // otherwise the kills below miss the renewals: raise the lead

    // The first kill lands once renewals are under way (a term-1 grant exists), the others anywhere after.
    const renewalsDue = renewAt + 60_000;
    while (!(await termOneOpened())) {
      if (Date.now() > renewalsDue) throw new Error('no renewal started within a minute of T');
      await sleep(20);
    }
    const killedAt: number[] = [];
    // The seeded random pauses are the fault schedule (where the kills land), not waits for something.
    for (let k = 0; k < KILLS; k++) {
      await sleep(Math.floor(rnd() * (k === 0 ? 300 : 2500)));
      killedAt.push(Date.now() - renewAt);
      await worker.kill();
      await sleep(Math.floor(rnd() * 1000));
      await worker.start();
    }
    console.log(`seed ${seed}: worker killed at T+${killedAt.join(' ms, T+')} ms; ${await renewedCount(pool, ids)} of ${WORKSPACES} renewed by the last restart`);

    const deadline = Date.now() + 150_000;
    while ((await renewedCount(pool, ids)) < WORKSPACES && Date.now() < deadline) await sleep(500);
    expect(await renewedCount(pool, ids)).toBe(WORKSPACES);

    await expectRenewedOnce({ pool, sandbox, workflows, ids, chargesBefore });
    expect(worker.kills).toBe(KILLS);
    const cut = await interruptions();
    console.log(`the kills cut off ${cut.activityRetries} activity attempts and ${cut.workflowTaskTimeouts} workflow tasks`);
    expect(cut.activityRetries + cut.workflowTaskTimeouts).toBeGreaterThan(0); // the drill hit work in flight
  }, 420_000);
});
