// Fault drill: 50 workspaces renew at the same instant on the Temporal dev
// server while the worker process (src/worker-main.ts, a child process) is
// SIGKILLed at random points and started again. Afterwards every term is
// opened once, every invoice exists once with a gapless number, every charge
// reached Stripe (the sandbox) once, and the ledger sums match the balances.
// FAULT_SEED=<n> replays one schedule of kills.
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { anchorWithTermEndingAt } from '../../src/domain/terms';
import { auditBalances } from '../../src/ledger/audit';
import { toolPaths } from '../../src/state-dir';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { workflowIdFor } from '../../workflows/definitions';
import { freePort } from '../setup/free-port';
import { uniqueId } from '../helpers/workspaces';
import { WorkerProcess } from '../helpers/worker-process';

const WORKSPACES = 50;
const KILLS = 3;
const seed = Number(process.env.FAULT_SEED ?? Date.now() % 1_000_000);

/** mulberry32: a small seeded generator, so a failing schedule can be replayed. */
function random(s: number) {
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

let tmp: string;
let dev: DevServer;
let sandbox: StripeSandbox;
let pool: Pool;
let connection: Connection;
let client: Client;
let workflows: BillingWorkflows;
let worker: WorkerProcess;
const prefix = uniqueId('crash');
const workflowIdPrefix = workflowIdFor(prefix);
const ids = Array.from({ length: WORKSPACES }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  const cli = toolPaths().temporalCli;
  if (!cli) throw new Error('the Temporal CLI is not installed: run `npm run tools`');
  tmp = mkdtempSync(path.join(os.tmpdir(), 'billing-crash-'));
  dev = await startDevServer({ cli, stateDir: tmp, port: await freePort(), uiPort: await freePort(), namespace: 'default' });
  sandbox = await StripeSandbox.start();
  pool = createPool(inject('databaseUrl'), 5);
  connection = await Connection.connect({ address: dev.address });
  const taskQueue = `billing-crash-${process.pid}`;
  client = new Client({ connection, namespace: 'default' });
  workflows = new BillingWorkflows(client, taskQueue);
  worker = new WorkerProcess({
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: dev.address,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: taskQueue,
    TEMPORAL_METRICS_PORT: String(await freePort()),
    STRIPE_SECRET_KEY: 'sk_test_worker_crash',
    STRIPE_API_BASE: sandbox.url,
    INVOICE_OUTBOX_DIR: path.join(tmp, 'outbox'),
  });
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  await pool?.end();
  await sandbox?.close();
  await dev?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function renewedCount(): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM invoices i
     WHERE i.workspace_id = ANY($1) AND i.business_key LIKE 'renewal:%:1' AND i.status = 'paid' AND i.pdf_status = 'paid'`,
    [ids],
  );
  return rows[0]!.n;
}

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
    const rnd = random(seed);
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
    for (let k = 0; k < KILLS; k++) {
      await sleep(Math.floor(rnd() * (k === 0 ? 300 : 2500)));
      killedAt.push(Date.now() - renewAt);
      await worker.kill();
      await sleep(Math.floor(rnd() * 1000));
      await worker.start();
    }
    console.log(`seed ${seed}: worker killed at T+${killedAt.join(' ms, T+')} ms; ${await renewedCount()} of ${WORKSPACES} renewed by the last restart`);

    const deadline = Date.now() + 150_000;
    while ((await renewedCount()) < WORKSPACES && Date.now() < deadline) await sleep(500);
    expect(await renewedCount()).toBe(WORKSPACES);

    // Every term opened once: one grant per term, one expiry of term 0's leftovers.
    const ledger = await pool.query<{ workspace_id: string; kind: string; term_index: number; n: number; amount: number }>(
      `SELECT workspace_id, kind, term_index, count(*)::int AS n, sum(amount)::int8 AS amount FROM credit_ledger
       WHERE workspace_id = ANY($1) GROUP BY workspace_id, kind, term_index ORDER BY workspace_id, term_index, kind`,
      [ids],
    );
    for (const id of ids) {
      const rows = ledger.rows.filter((r) => r.workspace_id === id).map(({ kind, term_index, n, amount }) => ({ kind, term_index, n, amount }));
      expect(rows, id).toEqual([
        { kind: 'grant', term_index: 0, n: 1, amount: 100 },
        { kind: 'expiry', term_index: 0, n: 1, amount: -100 },
        { kind: 'grant', term_index: 1, n: 1, amount: 100 },
      ].sort((a, b) => a.term_index - b.term_index || a.kind.localeCompare(b.kind)));
    }
    const audit = await Promise.all(ids.map((id) => auditBalances(pool, id)));
    expect(audit.flat().filter((a) => !a.consistent)).toEqual([]);
    expect(audit.flat().map((a) => a.cache.plan)).toEqual(ids.map(() => 100));

    // Every invoice once: the sign-up one and the renewal, both paid.
    const invoices = await pool.query<{ id: string; workspace_id: string; business_key: string; number: string; status: string; total_cents: number }>(
      `SELECT id, workspace_id, business_key, number, status, total_cents FROM invoices WHERE workspace_id = ANY($1)`,
      [ids],
    );
    expect(invoices.rows).toHaveLength(2 * WORKSPACES);
    for (const id of ids) {
      const keys = invoices.rows.filter((i) => i.workspace_id === id).map((i) => i.business_key).sort();
      expect(keys, id).toEqual([`renewal:${id}:1`, expect.stringMatching(new RegExp(`^signup:${id}:`))]);
    }
    expect(invoices.rows.every((i) => i.status === 'paid')).toBe(true);

    // Gapless numbers: in every year, the numbers issued so far (by every test) are exactly 1..n.
    const years = await pool.query<{ year: string; n: number; max: number; distinct: number }>(
      `SELECT substr(number, 5, 4) AS year, count(*)::int AS n, max(substr(number, 10)::int) AS max,
              count(DISTINCT number)::int AS distinct FROM invoices GROUP BY 1`,
    );
    for (const y of years.rows) expect({ year: y.year, count: y.n, distinct: y.distinct }).toEqual({ year: y.year, count: y.max, distinct: y.max });

    // Every charge sent once: one Stripe charge per renewal invoice, for its total, one payment attempt with one key.
    const renewals = invoices.rows.filter((i) => i.business_key.endsWith(':1'));
    const charges = sandbox.charges().slice(chargesBefore);
    expect(charges).toHaveLength(WORKSPACES);
    for (const inv of renewals) {
      const mine = charges.filter((c) => c.metadata.invoice_id === inv.id);
      expect(mine.map((c) => [c.status, c.amount]), inv.number).toEqual([['succeeded', inv.total_cents]]);
    }
    const attempts = await pool.query<{ invoice_id: string; n: number; keys: number }>(
      `SELECT invoice_id, count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys FROM payment_attempts
       WHERE invoice_id = ANY($1::uuid[]) GROUP BY invoice_id`,
      [renewals.map((i) => i.id)],
    );
    expect(attempts.rows).toHaveLength(WORKSPACES);
    expect(attempts.rows.every((a) => a.n === 1 && a.keys === 1)).toBe(true);

    // The workflows agree: term 1, active, nothing unpaid.
    for (const id of ids) {
      const s = await workflows.state(id);
      expect({ id, term: s.workspace.termIndex, status: s.workspace.status, unpaid: s.unpaidInvoices.length }).toEqual({ id, term: 1, status: 'active', unpaid: 0 });
    }
    expect(worker.kills).toBe(KILLS);
    const cut = await interruptions();
    console.log(`the kills cut off ${cut.activityRetries} activity attempts and ${cut.workflowTaskTimeouts} workflow tasks`);
    expect(cut.activityRetries + cut.workflowTaskTimeouts).toBeGreaterThan(0); // the drill hit work in flight
  }, 420_000);
});
