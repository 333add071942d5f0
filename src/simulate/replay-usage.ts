// What-if on real history: a workspace's recorded usage (DATABASE_URL)
// replayed at its recorded instants in two simulations, under the current
// pricing and under another, and both runs' invoices side by side per term.
import type { WorkflowBundleOption } from '@temporalio/worker';
import pg from 'pg';
import { loadPricing } from '../config/pricing';
import type { PricingConfig } from '../domain/pricing';
import { termContaining } from '../domain/terms';
import type { PostgresServer } from './infra';
import { runScenario, type SimulationResult } from './run';
import { parseScenario, type Scenario } from './scenario';

export interface ReplayOptions {
  workspaceId: string;
  from: string;
  to: string;
  pricing: PricingConfig;
  postgres: PostgresServer;
  workflowBundle: WorkflowBundleOption;
  log?: (msg: string) => void;
}

export interface ReplayReport {
  result: { scenario: unknown; current: SimulationResult; proposed: SimulationResult };
  text: string;
}

interface Recorded {
  workspace: { name: string; billing_email: string; billing_address: unknown; plan: string; anchor_at: Date };
  plan: string;
  usage: Array<{ member_id: string; action: string; feature: string; tokens: number | null; already_performed: boolean; at: Date }>;
}

async function readRecorded(databaseUrl: string, workspaceId: string, from: number, to: number): Promise<Recorded> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: ws } = await client.query<Recorded['workspace']>(
      `SELECT name, billing_email, billing_address, plan, anchor_at FROM workspaces WHERE id = $1`,
      [workspaceId],
    );
    if (!ws[0]) throw new Error(`--replay-usage: no workspace '${workspaceId}' in DATABASE_URL`);
    // The plan the workspace was on at `from`: its last plan invoice by then, else its plan now.
    const { rows: plans } = await client.query<{ plan: string }>(
      `SELECT plan FROM invoices WHERE workspace_id = $1 AND plan IS NOT NULL AND period_start <= $2 ORDER BY period_start DESC, issued_at DESC LIMIT 1`,
      [workspaceId, new Date(from)],
    );
    const { rows: usage } = await client.query<Recorded['usage'][number]>(
      `SELECT member_id, action, feature, tokens, already_performed, at FROM usage_events
       WHERE workspace_id = $1 AND at >= $2 AND at < $3 ORDER BY at, id`,
      [workspaceId, new Date(from), new Date(to)],
    );
    return { workspace: ws[0], plan: plans[0]?.plan ?? ws[0].plan, usage };
  } finally {
    await client.end();
  }
}

/** The recorded usage as a scenario: the workspace created at the start of the term containing `from`. */
export function replayScenario(workspaceId: string, rec: Recorded, from: number, to: number): unknown {
  const anchor = rec.workspace.anchor_at.getTime();
  const start = from <= anchor ? anchor : termContaining(anchor, from).start;
  return {
    start: new Date(start).toISOString(),
    until: new Date(to).toISOString(),
    workspaces: [
      {
        id: workspaceId,
        name: rec.workspace.name,
        billingEmail: rec.workspace.billing_email,
        billingAddress: rec.workspace.billing_address,
        plan: rec.plan,
        paymentMethod: 'pm_card_visa',
      },
    ],
    events: rec.usage.map((u) => ({
      at: u.at.toISOString(),
      workspace: workspaceId,
      do: 'usage',
      body: {
        memberId: u.member_id,
        action: u.action,
        feature: u.feature,
        ...(u.tokens !== null ? { tokens: u.tokens } : {}),
        ...(u.already_performed ? { alreadyPerformed: true } : {}),
      },
    })),
  };
}

export async function replayUsage(opts: ReplayOptions): Promise<ReplayReport> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('--replay-usage reads the recorded usage from DATABASE_URL: set it');
  const from = Date.parse(opts.from);
  const to = Date.parse(opts.to);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) throw new Error('--from and --to must be instants with --to after --from');
  const recorded = await readRecorded(databaseUrl, opts.workspaceId, from, to);
  const raw = replayScenario(opts.workspaceId, recorded, from, to);
  const base: Scenario = parseScenario(raw, `recorded usage of ${opts.workspaceId}`);
  opts.log?.(`replaying ${recorded.usage.length} usage events of ${opts.workspaceId} from ${new Date(base.start).toISOString()}`);
  const run = (pricing: PricingConfig) =>
    runScenario({ ...base, pricing }, { postgres: opts.postgres, workflowBundle: opts.workflowBundle, ...(opts.log ? { log: opts.log } : {}) });
  const current = (await run(loadPricing())).result;
  const proposed = (await run(opts.pricing)).result;
  return { result: { scenario: raw, current, proposed }, text: sideBySide(opts.workspaceId, current, proposed) };
}

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

function sideBySide(id: string, current: SimulationResult, proposed: SimulationResult): string {
  const a = current.workspaces[id]!;
  const b = proposed.workspaces[id]!;
  const lines = [`${id}: invoices per term, current pricing vs proposed`, ''];
  const indexes = [...new Set([...a.terms, ...b.terms].map((t) => t.index))].sort((x, y) => x - y);
  const invoicesIn = (invoices: Array<Record<string, unknown>>, start: string, end: string) =>
    invoices.filter((i) => String(i.periodStart) >= start && String(i.periodStart) < end);
  let totalA = 0;
  let totalB = 0;
  for (const index of indexes) {
    const term = a.terms.find((t) => t.index === index) ?? b.terms.find((t) => t.index === index)!;
    lines.push(`term ${index}  ${term.start.slice(0, 10)} .. ${term.end.slice(0, 10)}`);
    const left = invoicesIn(a.invoices, term.start, term.end);
    const right = invoicesIn(b.invoices, term.start, term.end);
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const l = left[i];
      const r = right[i];
      const cell = (inv?: Record<string, unknown>) => (inv ? `${String(inv.kind).padEnd(15)} ${money(Number(inv.totalCents)).padStart(10)}` : ''.padEnd(26));
      lines.push(`  ${cell(l)}   |  ${cell(r)}`);
      totalA += Number(l?.totalCents ?? 0);
      totalB += Number(r?.totalCents ?? 0);
    }
    const used = (t?: { used: { plan: number; purchased: number; overage: number } }) =>
      t ? `used ${t.used.plan}+${t.used.purchased}+${t.used.overage} (plan+purchased+overage)` : '';
    lines.push(`  ${used(a.terms.find((t) => t.index === index)).padEnd(45)}|  ${used(b.terms.find((t) => t.index === index))}`);
  }
  lines.push('', `total invoiced: ${money(totalA)} current, ${money(totalB)} proposed (${totalB >= totalA ? '+' : ''}${money(totalB - totalA)})`, '');
  return lines.join('\n');
}
