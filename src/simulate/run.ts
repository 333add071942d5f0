// Runs a scenario through the real system: workspaces created at start, then
// virtual time moved to each event's instant (and to each renewal, so the
// timeline sees it when it happens), the system settled before every request,
// and at `until` the report: every answer, and per workspace its final state,
// invoices, notifications and terms.
import type { WorkflowBundleOption } from '@temporalio/worker';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadPricing } from '../config/pricing';
import type { PricingConfig } from '../domain/pricing';
import { termAt } from '../domain/terms';
import { Stops, type PostgresServer } from './infra';
import { Observer, type Notification, type TimelineEntry } from './observer';
import { apiGet, sendEventRequest, type Answer } from './requests';
import { runOrder, type Scenario, type ScenarioEvent } from './scenario';
import { settle } from './settle';
import { startSimulationStack, type SimulationStack } from './stack';

export interface EventResult {
  at: string;
  workspace: string;
  do: ScenarioEvent['do'];
  statuses: Record<string, number>;
  last: Answer;
}

export interface TermReport {
  index: number;
  start: string;
  end: string;
  plan: string | null;
  granted: number;
  used: { plan: number; purchased: number; overage: number };
}

export interface WorkspaceReport {
  /** GET /v1/workspaces/:id at `until`; null when it answers otherwise (never created, purged). */
  final: Record<string, unknown> | null;
  invoices: Array<Record<string, unknown>>;
  notifications: Notification[];
  terms: TermReport[];
}

export interface SimulationResult {
  events: EventResult[];
  workspaces: Record<string, WorkspaceReport>;
}

export interface SimulationRun {
  result: SimulationResult;
  timeline: TimelineEntry[];
}

export interface RunOptions {
  postgres: PostgresServer;
  workflowBundle: WorkflowBundleOption;
  /** Every invoice PDF is written here as <number>.pdf. */
  outDir?: string;
  log?: (msg: string) => void;
  /** Logs each step with the real time it took (stderr). */
  verbose?: boolean;
}

const REPORTS_AT_ONCE = 4;
const READS_AND_USAGE = new Set<ScenarioEvent['do']>(['get', 'export', 'usage']);

export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<SimulationRun> {
  const stops = new Stops();
  try {
    const pricing: PricingConfig = scenario.pricing ?? loadPricing();
    const started = Date.now();
    const stack = await startSimulationStack({ start: scenario.start, pricing, postgres: opts.postgres, workflowBundle: opts.workflowBundle, stops });
    if (opts.verbose) opts.log?.(`servers and worker started: ${Date.now() - started} ms`);
    return await drive(stack, scenario, opts);
  } finally {
    await stops.runAll(opts.log);
  }
}

async function drive(stack: SimulationStack, scenario: Scenario, opts: RunOptions): Promise<SimulationRun> {
  const { env, app, pool } = stack;
  const observer = new Observer(pool);
  const ids = new Set(scenario.workspaces.map((w) => w.id));

  const creating = new StepTimes();
  for (const [i, body] of scenario.workspaces.entries()) {
    const answer = await sendEventRequest(app, { index: -1 - i, at: scenario.start, workspace: body.id, do: 'create', body, repeat: 1 }, 0);
    if (answer.status >= 300) throw new Error(`workspaces[${i}]: POST /v1/workspaces answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    creating.done('requests');
    await settle(env, [body.id]);
    creating.done('settle');
  }
  await observer.look(scenario.start);
  creating.done('look');
  if (opts.verbose) opts.log?.(`${scenario.workspaces.length} workspace(s) created: ${creating.text()}`);

  const results = new Map<number, EventResult>();
  const queue = [...scenario.events].sort(runOrder);
  let now = scenario.start;
  for (;;) {
    const steps = new StepTimes();
    const nextEvent = queue[0]?.at ?? Infinity;
    const next = Math.min(nextEvent, scenario.until, ...(await observer.dueAfter(now)));
    steps.done('due');
    if (next > now) {
      // What the system stamps by itself while virtual time moves there is stamped with that instant.
      await stack.clock.set(next);
      await env.sleep(next - now);
      now = next;
      steps.done('skip');
      await settle(env, ids);
      steps.done('settle');
      await observer.look(now);
      steps.done('look');
    }
    let ran = 0;
    while (queue[0] && queue[0].at === now) {
      const e = queue.shift()!;
      ids.add(e.workspace);
      results.set(e.index, await runEvent(stack, observer, e));
      ran++;
    }
    steps.done('events');
    // One look for all the events of an instant: what they caused is stamped with it either way.
    if (ran) await observer.look(now);
    steps.done('look');
    if (opts.verbose) opts.log?.(`${new Date(now).toISOString()}: ${ran} event(s), ${steps.text()}`);
    if (now >= scenario.until && queue.length === 0) break;
  }

  const reported = Date.now();
  // Reads only, a few workspaces at a time (the pool has 10 connections); the document keeps the order of `ids`.
  const order = [...ids];
  const reports: WorkspaceReport[] = [];
  for (let i = 0; i < order.length; i += REPORTS_AT_ONCE) {
    const batch = order.slice(i, i + REPORTS_AT_ONCE);
    reports.push(...(await Promise.all(batch.map((id) => reportWorkspace(stack, observer, id, opts.outDir)))));
  }
  const workspaces: Record<string, WorkspaceReport> = {};
  order.forEach((id, i) => (workspaces[id] = reports[i]!));
  if (opts.verbose) opts.log?.(`report of ${ids.size} workspace(s): ${Date.now() - reported} ms`);
  const events = scenario.events.map((e) => results.get(e.index)!);
  return { result: { events, workspaces }, timeline: observer.timeline };
}

async function runEvent(stack: SimulationStack, observer: Observer, e: ScenarioEvent): Promise<EventResult> {
  const statuses: Record<string, number> = {};
  let last: Answer = { status: 0, body: null };
  for (let n = 0; n < e.repeat; n++) {
    last = await sendEventRequest(stack.app, e, n);
    statuses[last.status] = (statuses[last.status] ?? 0) + 1;
  }
  // The next request may depend on what the workflow does after answering (reads and usage do not reach it).
  if (!READS_AND_USAGE.has(e.do)) await settle(stack.env, [e.workspace]);
  const counts = Object.entries(statuses).map(([s, c]) => (e.repeat > 1 ? `${c}x ${s}` : s)).join(', ');
  observer.note(e.at, e.workspace, 'request', `${e.do}${e.feature ? ` ${e.feature}` : ''}: ${counts}`);
  if (last.status >= 400) observer.note(e.at, e.workspace, 'refusal', `${e.do} refused: ${refusalText(last.body)}`);
  return { at: new Date(e.at).toISOString(), workspace: e.workspace, do: e.do, statuses, last };
}

function refusalText(body: unknown): string {
  const b = body as { error?: { code?: string; message?: string }; code?: string; message?: string } | null;
  const err = b?.error ?? b;
  return [err?.code, err?.message].filter(Boolean).join(': ') || JSON.stringify(body);
}

async function reportWorkspace(stack: SimulationStack, observer: Observer, id: string, outDir?: string): Promise<WorkspaceReport> {
  const { app, pool } = stack;
  const final = await apiGet(app, `/v1/workspaces/${encodeURIComponent(id)}`);
  const { rows: invoiceRows } = await pool.query<{ id: string; number: string }>(
    `SELECT id, number FROM invoices WHERE workspace_id = $1 ORDER BY issued_at, number`,
    [id],
  );
  const invoices: Array<Record<string, unknown>> = [];
  for (const row of invoiceRows) {
    invoices.push((await apiGet(app, `/v1/invoices/${row.id}`)).body as Record<string, unknown>);
    if (outDir) {
      const pdf = await apiGet(app, `/v1/invoices/${row.id}/pdf`);
      if (pdf.status !== 200) throw new Error(`GET /v1/invoices/${row.id}/pdf answered ${pdf.status}`);
      mkdirSync(outDir, { recursive: true });
      writeFileSync(path.join(outDir, `${row.number}.pdf`), pdf.raw);
    }
  }
  return {
    final: final.status === 200 ? (final.body as Record<string, unknown>) : null,
    invoices,
    notifications: observer.notifications.get(id) ?? [],
    terms: await termReports(stack, observer, id),
  };
}

async function termReports(stack: SimulationStack, observer: Observer, id: string): Promise<TermReport[]> {
  const { rows: ws } = await stack.pool.query<{ anchor_at: Date }>(`SELECT anchor_at FROM workspaces WHERE id = $1`, [id]);
  if (!ws[0]) return [];
  const anchor = ws[0].anchor_at.getTime();
  const { rows } = await stack.pool.query<{ term_index: number; granted: string; plan: string; purchased: string; overage: string }>(
    `SELECT term_index,
            COALESCE(SUM(amount) FILTER (WHERE kind = 'grant'), 0) AS granted,
            COALESCE(-SUM(amount) FILTER (WHERE kind = 'consumption' AND bucket = 'plan'), 0) AS plan,
            COALESCE(-SUM(amount) FILTER (WHERE kind = 'consumption' AND bucket = 'purchased'), 0) AS purchased,
            COALESCE(-SUM(amount) FILTER (WHERE kind = 'overage'), 0) AS overage
     FROM credit_ledger WHERE workspace_id = $1 GROUP BY term_index ORDER BY term_index`,
    [id],
  );
  const seen = observer.terms.get(id) ?? new Map<number, { plan: string; start: number; end: number }>();
  let plan: string | null = null;
  return rows.map((r) => {
    plan = seen.get(r.term_index)?.plan ?? plan;
    const term = seen.get(r.term_index) ?? termAt(anchor, r.term_index);
    return {
      index: r.term_index,
      start: new Date(term.start).toISOString(),
      end: new Date(term.end).toISOString(),
      plan,
      granted: Number(r.granted),
      used: { plan: Number(r.plan), purchased: Number(r.purchased), overage: Number(r.overage) },
    };
  });
}

/** Real milliseconds per step of one instant, for --verbose. */
class StepTimes {
  private readonly started = Date.now();
  private last = this.started;
  private readonly ms = new Map<string, number>();

  done(step: string): void {
    const now = Date.now();
    this.ms.set(step, (this.ms.get(step) ?? 0) + now - this.last);
    this.last = now;
  }

  text(): string {
    return `${this.last - this.started} ms (${[...this.ms].map(([step, ms]) => `${step} ${ms}`).join(', ')})`;
  }
}
