// `npm run bench:time-skipping`: wall time of whole billing lifecycles on the
// Temporal time-skipping test server: paid Pro workspaces (US-CA tax, on-demand
// on) live BENCH_MONTHS months each, with usage every month and a credit
// purchase in term 3, first one workspace alone, then BENCH_PARALLEL (50)
// together. The worker's main thread, mostly rendering invoice PDFs, is what
// limits it (about 5 minutes for 50 on 2 cores).
// Real workflow code, a real worker (sticky cache on, as in production), the
// real activities against Postgres and the in-process Stripe sandbox.
// Baseline, same server, same driver: a trivial workflow that sleeps 30 days
// and runs one no-op activity, BENCH_MONTHS times (1, then BENCH_PARALLEL).
//
// The driver moves virtual time one month at a time (env.sleep) and waits
// until every workflow's query shows the month done: for a workspace, the
// query shows the new term and Postgres holds its read model and its renewal
// invoice, paid and rendered. At the end every workspace is checked (term,
// renewal invoices and their amounts, the purchase, balance cache == ledger);
// the exit code is 1 when anything is wrong.
//
// Not a test. Settings: BENCH_MONTHS (24), BENCH_PARALLEL (50), BENCH_POLL_MS
// (20, how often the driver looks), DATABASE_URL (else a throwaway embedded
// cluster); TEMPORAL_TEST_SERVER_PATH is honoured by `npm run tools`.
import { Worker } from '@temporalio/worker';
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { BillingActivities } from '../activities';
import { auditBalances } from '../src/ledger/audit';
import { toolPaths } from '../src/state-dir';
import { workflowIdFor } from '../workflows/definitions';
import { BillingHarness, DAY, pricing } from '../test/helpers/billing-harness';
import { bundleWorkflows } from '../test/helpers/temporal';
import { fmt, machineFacts, table } from './bench/machine';
import { monthlyNoop, monthsDoneQuery } from './bench/monthly-noop-workflow';
import { benchDatabase } from './bench/postgres';

const MONTHS = Number(process.env.BENCH_MONTHS ?? 24);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 50);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 20);
const WAIT_LIMIT_MS = 300_000; // for one month of every workflow of a run, then the run fails
const NOOP_QUEUE = 'bench-noop';

// A month of usage: 3 questions and one 104,000-token assist = 107 credits.
const USAGE = [{}, {}, {}, { action: 'ai_assist', tokens: 104_000 }];
const CREDITS_PER_TERM = 107;
const PURCHASE_TERM = 3;
const PURCHASE_CREDITS = 100;
const PRO = pricing.plans.pro!;

interface Timing {
  workflows: number;
  setupMs: number;
  monthsMs: number;
  /** CPU time of this process (driver, worker, activities) during the run. */
  cpuMs: number;
}

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};
const totalMs = (t: Timing) => t.setupMs + t.monthsMs;
/** Wall time of one workflow-month (a renewal) in the month phase. */
const perMonthMs = (t: Timing) => t.monthsMs / (t.workflows * MONTHS);

/** Polls until `pending` returns no ids; `pending` gets the ids still pending. */
async function waitUntilDone(ids: string[], pending: (left: string[]) => Promise<string[]>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let left = ids;
  for (;;) {
    left = await pending(left);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${left.length} pending (${left.slice(0, 5).join(', ')} ...)`);
    await sleep(POLL_MS);
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Calls and wall time inside each activity: how much work a renewal is, and where its time goes. */
class ActivityProfile {
  calls = 0;
  readonly msByName = new Map<string, number>();

  wrap(activities: BillingActivities): BillingActivities {
    const wrapped = Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        this.calls++;
        const t0 = performance.now();
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          this.msByName.set(name, (this.msByName.get(name) ?? 0) + performance.now() - t0);
        }
      },
    ]);
    return Object.fromEntries(wrapped) as BillingActivities;
  }

  /** Calls since the last take, and the top activities by time, per renewal. */
  take(renewals: number): { calls: number; top: string } {
    const top = [...this.msByName.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([name, ms]) => `${name} ${fmt(ms / renewals, 0)}`)
      .join(', ');
    const calls = this.calls;
    this.calls = 0;
    this.msByName.clear();
    return { calls, top };
  }
}

async function runBaseline(h: BillingHarness, n: number): Promise<Timing> {
  const client = h.env.client;
  const ids = range(n).map((i) => `noop-${n}-${i}-${Date.now().toString(36)}`);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const start = await h.now();
  await Promise.all(ids.map((workflowId) => client.workflow.start(monthlyNoop, { taskQueue: NOOP_QUEUE, workflowId, args: [MONTHS] })));
  const t1 = performance.now();
  for (let m = 1; m <= MONTHS; m++) {
    await h.sleepUntil(start + m * 30 * DAY + 60_000);
    await waitUntilDone(
      ids,
      async (left) => {
        const done = await Promise.all(left.map((id) => client.workflow.getHandle(id).query(monthsDoneQuery).then((d) => d >= m, () => false)));
        return left.filter((_, i) => !done[i]);
      },
      `baseline month ${m}`,
    );
  }
  // Not handle.result(): on the time-skipping client each call unlocks and
  // relocks time skipping, and concurrent calls unbalance the server's lock.
  await waitUntilDone(
    ids,
    async (left) => {
      const done = await Promise.all(left.map((id) => client.workflow.getHandle(id).describe().then((d) => d.status.name === 'COMPLETED')));
      return left.filter((_, i) => !done[i]);
    },
    'baseline workflows to complete',
  );
  const t2 = performance.now();
  return { workflows: n, setupMs: t1 - t0, monthsMs: t2 - t1, cpuMs: cpuMsSince(cpu) };
}

/** The renewal invoice subtotals we expect, by term (1..MONTHS): base fee plus the previous term's overage. */
function expectedSubtotals(): number[] {
  const out: number[] = [];
  let purchased = 0;
  for (let term = 0; term < MONTHS; term++) {
    if (term === PURCHASE_TERM) purchased += PURCHASE_CREDITS;
    const beyondPlan = Math.max(0, CREDITS_PER_TERM - PRO.monthlyCredits!);
    const fromPurchased = Math.min(purchased, beyondPlan);
    purchased -= fromPurchased;
    out[term + 1] = PRO.monthlyPriceCents! + (beyondPlan - fromPurchased) * pricing.overage.centsPerCredit;
  }
  return out;
}

async function runBilling(h: BillingHarness, n: number): Promise<{ timing: Timing; ids: string[] }> {
  const ids = range(n).map((i) => `ts-${n}-${i}-${Date.now().toString(36)}`);
  const termEnd = new Map<string, number>();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      await h.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa', billingAddress: { country: 'US', region: 'CA', city: 'San Francisco', postalCode: '94105', line1: '500 Howard St' } });
      const s = await h.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 0 }).then(() => h.state(id));
      termEnd.set(id, s.workspace.termEnd);
    }),
  );
  const t1 = performance.now();
  for (let term = 0; term < MONTHS; term++) {
    await Promise.all(
      ids.map(async (id) => {
        if (term === PURCHASE_TERM) await h.workflows.purchaseCredits(id, { credits: PURCHASE_CREDITS, idempotencyKey: `buy-${id}` });
        for (const u of USAGE) {
          const r = await h.use(id, u);
          if (!r.ok) throw new Error(`usage refused for ${id} in term ${term}: ${JSON.stringify(r)}`);
        }
      }),
    );
    await h.sleepUntil(Math.max(...termEnd.values()) + 60_000);
    const next = term + 1;
    await waitUntilDone(
      ids,
      async (left) => {
        // Renewal done in Postgres: the read model is synced last, after the invoice is paid and rendered.
        const { rows } = await h.pool.query<{ id: string }>(
          `SELECT w.id FROM workspaces w JOIN invoices i ON i.business_key = 'renewal:' || w.id || ':' || $2::int
           WHERE w.id = ANY($1) AND w.term_index >= $2 AND i.status = 'paid' AND i.pdf_status = 'paid'`,
          [left, next],
        );
        const inDb = new Set(rows.map((r) => r.id));
        const confirmed = await Promise.all(
          left.map(async (id) => {
            if (!inDb.has(id)) return false;
            const s = await h.state(id).catch(() => null); // between continue-as-new runs a query may miss
            if (!s || s.workspace.termIndex < next) return false;
            termEnd.set(id, s.workspace.termEnd);
            return true;
          }),
        );
        return left.filter((_, i) => !confirmed[i]);
      },
      `renewal into term ${next}`,
    );
  }
  const t2 = performance.now();
  return { timing: { workflows: n, setupMs: t1 - t0, monthsMs: t2 - t1, cpuMs: cpuMsSince(cpu) }, ids };
}

/** Every workspace at term MONTHS, its renewal invoices paid with the expected amounts, the purchase paid, cache == ledger. */
async function verify(h: BillingHarness, ids: string[]): Promise<string[]> {
  const problems: string[] = [];
  const expected = expectedSubtotals();
  for (const id of ids) {
    const s = await h.state(id);
    if (s.workspace.termIndex !== MONTHS) problems.push(`${id}: at term ${s.workspace.termIndex}, expected ${MONTHS}`);
    if (s.workspace.status !== 'active' || s.unpaidInvoices.length > 0) problems.push(`${id}: status ${s.workspace.status}, ${s.unpaidInvoices.length} unpaid`);
    const invoices = await h.invoices(id);
    const renewals = invoices.filter((i) => i.kind === 'renewal' && !i.business_key.startsWith('signup:'));
    if (renewals.length !== MONTHS) problems.push(`${id}: ${renewals.length} renewal invoices, expected ${MONTHS}`);
    for (let term = 1; term <= MONTHS; term++) {
      const inv = renewals.find((i) => i.business_key === `renewal:${id}:${term}`);
      if (!inv) problems.push(`${id}: no renewal invoice for term ${term}`);
      else if (inv.status !== 'paid' || Number(inv.subtotal_cents) !== expected[term]) {
        problems.push(`${id}: renewal ${term} is ${inv.status}, subtotal ${inv.subtotal_cents}, expected paid ${expected[term]}`);
      }
    }
    const purchases = invoices.filter((i) => i.kind === 'credit_purchase');
    if (MONTHS > PURCHASE_TERM && (purchases.length !== 1 || purchases[0]!.status !== 'paid')) problems.push(`${id}: purchase invoices ${JSON.stringify(purchases.map((p) => p.status))}`);
    const [audit] = await auditBalances(h.pool, id);
    if (!audit?.consistent) problems.push(`${id}: balance cache != ledger ${JSON.stringify(audit)}`);
  }
  return problems;
}

async function main() {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const db = await benchDatabase();
    cleanups.unshift(db.stop);
    console.log(`bench-time-skipping: ${MONTHS} months, 1 and ${PARALLEL} workflows in parallel`);
    for (const line of machineFacts()) console.log(`  ${line}`);
    console.log(`  ${db.description}`);
    console.log(`  temporal test server: ${toolPaths().temporalTestServer ?? 'SDK download'}; worker with sticky cache, SDK defaults; driver polls every ${POLL_MS} ms`);

    const h = await BillingHarness.create({ databaseUrl: db.databaseUrl, stickyCache: true, poolSize: 20 });
    cleanups.unshift(async () => rmSync(h.outboxDir, { recursive: true, force: true }));
    cleanups.unshift(() => h.teardown());
    const profile = new ActivityProfile();
    await h.startWorker(profile.wrap(h.realActivities()));

    const noopBundle = await bundleWorkflows(fileURLToPath(new URL('./bench/monthly-noop-workflow.ts', import.meta.url)));
    const noopWorker = await Worker.create({
      connection: h.env.nativeConnection,
      namespace: h.env.namespace ?? 'default',
      taskQueue: NOOP_QUEUE,
      workflowBundle: noopBundle,
      activities: { noop: async () => undefined },
    });
    const noopRun = noopWorker.run();
    cleanups.unshift(async () => {
      noopWorker.shutdown();
      await noopRun;
    });

    const results: Array<{ n: number; baseline: Timing; billing: Timing; calls: number; top: string }> = [];
    const problems: string[] = [];
    for (const n of [1, PARALLEL]) {
      console.log(`baseline, ${n} workflow(s) ...`);
      const baseline = await runBaseline(h, n);
      console.log(`billing lifecycle, ${n} workspace(s) ...`);
      profile.take(1);
      const { timing: billing, ids } = await runBilling(h, n);
      const { calls, top } = profile.take(n * MONTHS);
      problems.push(...(await verify(h, ids)));
      // Done with them: their next renewals must not run during the next scenario's months.
      await Promise.all(ids.map((id) => h.env.client.workflow.getHandle(workflowIdFor(id)).terminate('benchmark run finished')));
      results.push({ n, baseline, billing, calls, top });
    }

    console.log(`\n${MONTHS} virtual months per workflow. setup: start or create (+ on-demand on); months: the month-by-month skipping; ms/renewal = months / (workflows x ${MONTHS})`);
    const secs = (ms: number) => fmt(ms / 1000, 2);
    const rows: string[][] = [];
    for (const { n, baseline: base, billing: b, calls } of results) {
      rows.push(['baseline: 30-day timer + no-op activity', String(n), secs(base.setupMs), secs(base.monthsMs), secs(totalMs(base)), fmt(perMonthMs(base)), secs(base.cpuMs), '1.0']);
      rows.push(['billing lifecycle', String(n), secs(b.setupMs), secs(b.monthsMs), secs(totalMs(b)), fmt(perMonthMs(b)), secs(b.cpuMs), fmt(calls / (n * MONTHS))]);
      rows.push(['  ratio billing / baseline', '', '', `${fmt(b.monthsMs / base.monthsMs)}x`, `${fmt(totalMs(b) / totalMs(base))}x`, `${fmt(perMonthMs(b) / perMonthMs(base))}x`, `${fmt(b.cpuMs / base.cpuMs)}x`, '']);
    }
    console.log(table(['scenario', 'workflows', 'setup s', 'months s', 'total s', 'ms/renewal', 'cpu s', 'activities/renewal'], rows));
    console.log('cpu s: CPU time of this process (driver, worker, workflow code, activities with PDF rendering); Postgres and the test server run apart.');
    console.log('activities/renewal counts the create and purchase activities too. Wall ms inside the slowest activities, per renewal (overlapping when parallel):');
    for (const r of results) console.log(`  ${String(r.n).padStart(3)} workspace(s): ${r.top}`);
    const one = results.find((r) => r.n === 1);
    if (one) console.log(`\ntarget (issue 15): a ${MONTHS}-month lifecycle in at most 3 s: ${secs(totalMs(one.billing))} s (its baseline ${secs(totalMs(one.baseline))} s)`);

    const checked = results.reduce((a, r) => a + r.n, 0);
    if (problems.length > 0) {
      console.error(`\nVERIFICATION FAILED (${problems.length}):\n  ${problems.slice(0, 20).join('\n  ')}`);
      process.exitCode = 1;
    } else {
      console.log(`\nverified ${checked} workspaces: each at term ${MONTHS}, ${MONTHS} paid renewal invoices with the expected amounts, the purchase paid, balance cache == ledger`);
    }
  } finally {
    for (const c of cleanups) await c().catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
