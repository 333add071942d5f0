// `npm run bench:renewals`: N workspaces (default 1,000) renewing at the same
// instant on the Temporal dev server: wall time until every new term is opened
// and invoiced (invoice issued, charged through the Stripe sandbox, PDF
// rendered), next to the same server waking N trivial workflows at one
// instant to run one no-op activity each. Sign-ups too: creating the N
// workspaces (update-with-start each), next to N update-with-start calls on
// trivial workflows whose update returns at once. Not a test.
// Settings: BENCH_RENEWALS (1000), DATABASE_URL (else a throwaway embedded
// cluster), BENCH_CREATE_CONCURRENCY (40).
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createActivities } from '../activities';
import { loadPricing } from '../src/config/pricing';
import { createPool, type Pool } from '../src/db/pool';
import { anchorWithTermEndingAt } from '../src/domain/terms';
import type { CreateWorkspaceRequest } from '../src/domain/workspace';
import { auditBalances } from '../src/ledger/audit';
import { createStripeClient } from '../src/payments/stripe-client';
import { toolPaths } from '../src/state-dir';
import { StripeSandbox } from '../src/stripe-sandbox/server';
import { BillingWorkflows } from '../src/temporal/billing-client';
import { startDevServer } from '../src/temporal/dev-server';
import { installTemporalRuntime } from '../src/temporal/runtime';
import { createBillingWorker, tuningFromEnv, WORKER_TUNING_DEFAULTS } from '../src/temporal/worker';
import { benchDatabase, freePort } from './bench/postgres';
import { percentile } from './bench/stats';
import { signUpNoop } from './bench/workflows/signup-noop';

const N = Number(process.env.BENCH_RENEWALS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CREATE_CONCURRENCY ?? 40);
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pooled<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function request(id: string): CreateWorkspaceRequest {
  return { id, name: `Bench ${id}`, billingEmail: 'finance@example.com', billingAddress: { country: 'US', region: 'NY' }, plan: 'pro', paymentMethod: 'pm_card_visa' };
}

/**
 * Renewals finished (term opened, invoice issued and paid) and their finish
 * times; with `delivered`, also rendered and delivered (the step's last
 * activity, after the charge).
 */
async function renewalsDone(pool: Pool, prefix: string, delivered = false) {
  const { rows } = await pool.query<{ done: Date }>(
    `SELECT ${delivered ? 'i.pdf_rendered_at' : 'i.paid_at'} AS done FROM invoices i JOIN credit_balances b ON b.workspace_id = i.workspace_id AND b.term_index = 1
     WHERE i.workspace_id LIKE $1 AND i.business_key LIKE 'renewal:%:1' AND i.status = 'paid' ${delivered ? "AND i.pdf_status = 'paid'" : ''}`,
    [`${prefix}%`],
  );
  return rows.map((r) => r.done.getTime());
}

interface Figure { label: string; wallMs: number; p50Ms: number; p99Ms: number }

async function main() {
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const cli = toolPaths().temporalCli;
    if (!cli) throw new Error('the Temporal CLI is not installed: run `npm run tools`');
    installTemporalRuntime({ metricsPort: await freePort(), logLevel: 'ERROR' });
    const pricing = loadPricing();
    const db = await benchDatabase();
    stops.unshift(db.stop);
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'billing-bench-renewals-'));
    stops.unshift(async () => rmSync(tmp, { recursive: true, force: true }));
    const dev = await startDevServer({ cli, stateDir: tmp, port: await freePort(), uiPort: await freePort(), namespace: 'default' });
    stops.unshift(() => dev.stop());
    const sandbox = await StripeSandbox.start();
    stops.unshift(() => sandbox.close());
    const pool = createPool(db.databaseUrl, 30);
    stops.unshift(() => pool.end());
    const connection = await Connection.connect({ address: dev.address });
    stops.unshift(() => connection.close());
    const nativeConnection = await NativeConnection.connect({ address: dev.address });
    stops.unshift(() => nativeConnection.close());
    const client = new Client({ connection });

    const billing = await createBillingWorker({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: 'bench-billing',
      tuning: tuningFromEnv(),
      activities: createActivities({
        pool,
        pricing: () => pricing,
        stripe: createStripeClient({ secretKey: 'sk_test_bench', apiBase: sandbox.url }),
        outboxDir: path.join(tmp, 'outbox'),
        publicBaseUrl: 'http://127.0.0.1:3000',
        seller: { name: 'Bench Seller Inc.', address: ['1 Bench Way'] },
      }),
    });
    const wakeTimes: number[] = [];
    const baseline = await Worker.create({
      connection: nativeConnection,
      taskQueue: 'bench-baseline',
      workflowsPath: fileURLToPath(new URL('./bench/workflows/index.ts', import.meta.url)),
      activities: { noop: async () => void wakeTimes.push(Date.now()) },
    });
    const runs = [billing.run(), baseline.run()];
    stops.unshift(async () => {
      billing.shutdown();
      baseline.shutdown();
      await Promise.all(runs);
    });
    const workflows = new BillingWorkflows(client, 'bench-billing');
    const ids = Array.from({ length: N }, (_, i) => `ws-${String(i).padStart(5, '0')}`);

    // Sign-up baseline: N update-with-start calls on trivial workflows, as many at once as the sign-ups below.
    console.log(`sign-up baseline: ${N} update-with-start calls on trivial workflows ...`);
    let t0 = Date.now();
    await pooled(ids, CONCURRENCY, async (id) => {
      const startWorkflowOperation = new WithStartWorkflowOperation('trivialSignUp', {
        workflowId: `signup-${id}`,
        taskQueue: 'bench-baseline',
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      await client.workflow.executeUpdateWithStart(signUpNoop, { args: [id], startWorkflowOperation });
    });
    const signUpBaselineMs = Date.now() - t0;

    // Calibrate: how fast can workspaces be created here? The renewal instant must come after all N exist.
    const calibration = Array.from({ length: 20 }, (_, i) => `calib-${i}`);
    t0 = Date.now();
    await pooled(calibration, CONCURRENCY, (id) => workflows.createWorkspace(request(id)));
    const perCreateMs = (Date.now() - t0) / calibration.length;
    const renewAt = Math.ceil((Date.now() + 15_000 + 1.5 * perCreateMs * N) / 1000) * 1000;
    console.log(`creating ${N} Pro workspaces (about ${secs(perCreateMs * N)} s) that all renew at ${new Date(renewAt).toISOString()} ...`);
    const anchorAt = anchorWithTermEndingAt(renewAt);
    t0 = Date.now();
    await pooled(ids, CONCURRENCY, (id) => workflows.createWorkspace(request(id), { anchorAt }));
    const createdMs = Date.now() - t0;
    if (Date.now() >= renewAt) throw new Error('creation outlasted the renewal instant; lower BENCH_CREATE_CONCURRENCY or rerun');
    console.log(`created in ${secs(createdMs)} s; waiting for the renewal instant ...`);
    const chargesBefore = sandbox.charges().length;

    await sleep(renewAt - Date.now());
    let done: number[] = [];
    while ((done = await renewalsDone(pool, 'ws-')).length < N) await sleep(100);
    const renewalWall = Date.now() - renewAt;
    const latencies = done.map((t) => t - renewAt).sort((a, b) => a - b);
    const renewals: Figure = { label: `${N} renewals (open term, invoice, charge)`, wallMs: renewalWall, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
    while ((done = await renewalsDone(pool, 'ws-', true)).length < N) await sleep(100);
    const pdfLatencies = done.map((t) => t - renewAt).sort((a, b) => a - b);
    const pdfs: Figure = { label: `  ... and their PDFs delivered`, wallMs: Math.max(...done) - renewAt, p50Ms: percentile(pdfLatencies, 50), p99Ms: percentile(pdfLatencies, 99) };

    // Baseline: N trivial workflows waking at one instant on the same server.
    console.log(`baseline: starting ${N} workflows that wake at one instant and run one no-op activity ...`);
    const wakeAt = Math.ceil((Date.now() + 15_000 + 20 * N) / 1000) * 1000;
    const handles: Array<{ result(): Promise<unknown> }> = [];
    await pooled(ids, CONCURRENCY, async (id) => {
      handles.push(await client.workflow.start('wakeAndNoop', { taskQueue: 'bench-baseline', workflowId: `noop-${id}`, args: [wakeAt] }));
    });
    if (Date.now() >= wakeAt) throw new Error('starting the baseline outlasted its wake-up instant');
    await sleep(wakeAt - Date.now());
    await Promise.all(handles.map((h) => h.result()));
    const baselineWall = Date.now() - wakeAt;
    const wake = wakeTimes.map((t) => t - wakeAt).sort((a, b) => a - b);
    const floor: Figure = { label: `${N} trivial workflows, 1 no-op activity`, wallMs: baselineWall, p50Ms: percentile(wake, 50), p99Ms: percentile(wake, 99) };

    // Correctness: everything once.
    const charges = sandbox.charges().slice(chargesBefore).filter((c) => c.status === 'succeeded');
    const audit = (await auditBalances(pool)).filter((a) => a.workspaceId.startsWith('ws-'));
    const invoices = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM invoices WHERE workspace_id LIKE 'ws-%'`);
    const ok = charges.length === N && audit.length === N && audit.every((a) => a.consistent) && invoices.rows[0]!.n === 2 * N;

    console.log(`\nRenewals at one instant on the Temporal dev server (SQLite), one worker process`);
    console.log(`${os.availableParallelism()} CPUs shared by Temporal, Postgres, the worker and the Stripe sandbox; ${db.description}\n`);
    console.log(`${'run'.padEnd(48)} ${'wall s'.padStart(8)} ${'p50 s'.padStart(8)} ${'p99 s'.padStart(8)} ${'per s'.padStart(8)}`);
    for (const f of [renewals, pdfs, floor]) {
      console.log(`${f.label.padEnd(48)} ${secs(f.wallMs).padStart(8)} ${secs(f.p50Ms).padStart(8)} ${secs(f.p99Ms).padStart(8)} ${(N / (f.wallMs / 1000)).toFixed(1).padStart(8)}`);
    }
    console.log(`ratio: the renewals take ${(renewalWall / baselineWall).toFixed(1)}x the baseline's wall time (target, issue 15: at most 2.0x); with their PDFs delivered ${(pdfs.wallMs / baselineWall).toFixed(1)}x`);
    console.log(`worker: ${JSON.stringify({ ...WORKER_TUNING_DEFAULTS, ...tuningFromEnv() })}`);
    console.log(`\nsign-ups (${CONCURRENCY} at a time): creating ${N} workspaces ${secs(createdMs)} s (${(N / (createdMs / 1000)).toFixed(1)} per s); baseline, ${N} update-with-start calls on trivial workflows ${secs(signUpBaselineMs)} s (${(N / (signUpBaselineMs / 1000)).toFixed(1)} per s)`);
    console.log(`ratio: the sign-ups take ${(createdMs / signUpBaselineMs).toFixed(1)}x the baseline's wall time (target, issue 15: at most 2.0x)`);
    console.log(`\nchecks: ${charges.length} charges for ${N} renewals, ${invoices.rows[0]!.n} invoices (sign-up + renewal each), balance cache == ledger for ${audit.filter((a) => a.consistent).length}/${N}: ${ok ? 'ok' : 'WRONG'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    for (const s of stops) await s().catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
