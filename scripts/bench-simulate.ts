// `npm run bench:simulate`: `npm run simulate` on 100 Pro workspaces over 12
// months with usage every week (the README's target: under 60 s), in this
// process so its CPU time is measured; the test server and Postgres are
// separate processes. Checks the run: every workspace has one paid renewal
// invoice per term and the usage it was sent.
// Sizes: SIM_WORKSPACES (100), SIM_MONTHS (12); SIM_VERBOSE=1 logs each instant's real time (stderr).
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import os from 'node:os';
import { childProcesses, postgresCpuMs, processCpuMs } from './bench/cpu-time';
import { addMonthsClamped } from '../src/domain/terms';
import { Stops, startPostgres } from '../src/simulate/infra';
import { runScenario } from '../src/simulate/run';
import { parseScenario } from '../src/simulate/scenario';
import { loadWorkflowBundle } from '../src/simulate/workflow-bundle';

const WORKSPACES = Number(process.env.SIM_WORKSPACES ?? 100);
const MONTHS = Number(process.env.SIM_MONTHS ?? 12);
const VERBOSE = process.env.SIM_VERBOSE === '1';
const WEEK = 7 * 86_400_000;
const start = Date.parse('2027-01-31T10:00:00Z');
const until = addMonthsClamped(start, MONTHS) - 1000; // before the renewal that would open term MONTHS

const ids = Array.from({ length: WORKSPACES }, (_, i) => `ws-${String(i).padStart(3, '0')}`);
const events = [];
for (let at = start + 2 * 86_400_000; at < until; at += WEEK) {
  for (const id of ids) {
    events.push({ at: new Date(at).toISOString(), workspace: id, do: 'usage', body: { memberId: 'ann', action: 'ai_assist', feature: 'chat', tokens: 5000 } });
  }
}
const scenario = parseScenario(
  {
    start: new Date(start).toISOString(),
    until: new Date(until).toISOString(),
    workspaces: ids.map((id) => ({ id, name: id, billingEmail: `finance@${id}.example`, billingAddress: { country: 'US', region: 'NY' }, plan: 'pro', paymentMethod: 'pm_card_visa' })),
    events,
  },
  'bench',
);

/**
 * CPU time of the test server and Postgres during the run: sampled every
 * 500 ms, since the run stops the test server before it returns (the last
 * sample is at most 500 ms short).
 */
class OtherProcessesCpu {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, { name: string; ms: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.sample();
    this.timer = setInterval(() => this.sample(), 500);
  }

  private sample(): void {
    for (const { pid, name } of childProcesses()) {
      const ms = name === 'postgres' ? postgresCpuMs(pid) : processCpuMs(pid);
      if (!Number.isFinite(ms)) continue;
      if (!this.first.has(pid)) this.first.set(pid, ms);
      this.last.set(pid, { name, ms });
    }
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }

  seconds(name: string): number {
    let ms = 0;
    for (const [pid, p] of this.last) if (p.name === name) ms += p.ms - this.first.get(pid)!;
    return ms / 1000;
  }
}

Runtime.install({
  logger: new DefaultLogger('ERROR'),
  telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
});
const stops = new Stops();
try {
  const [postgres, workflowBundle] = await Promise.all([startPostgres(stops), loadWorkflowBundle()]);
  const load = os.loadavg();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const others = new OtherProcessesCpu();
  const { result } = await runScenario(scenario, { postgres, workflowBundle, verbose: VERBOSE, log: (msg) => console.error(msg) }).finally(() => others.stop());
  const wall = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const load2 = os.loadavg();

  let wrong = 0;
  const weeks = events.length / WORKSPACES;
  for (const id of ids) {
    const ws = result.workspaces[id]!;
    const renewals = ws.invoices.filter((i) => i.kind === 'renewal' && i.status === 'paid').length;
    const used = ws.terms.reduce((sum, t) => sum + t.used.plan + t.used.purchased + t.used.overage, 0);
    if (renewals !== MONTHS || ws.terms.length !== MONTHS || used + refused(result.events, id) * 5 !== weeks * 5) wrong++;
  }
  console.log(`| workspaces | months | requests | wall s | CPU s: this process / test server / Postgres | load avg before / after (1 min) |`);
  console.log(`|---|---|---|---|---|---|`);
  const cpuText = [(cpu.user + cpu.system) / 1e6, others.seconds('temporal-test-s'), others.seconds('postgres')].map((n) => n.toFixed(1)).join(' / ');
  console.log(
    `| ${WORKSPACES} | ${MONTHS} | ${events.length + WORKSPACES} | **${wall.toFixed(1)}** | ${cpuText} | ${load[0]!.toFixed(1)} / ${load2[0]!.toFixed(1)} on ${os.availableParallelism()} CPUs |`,
  );
  console.log(`\ntarget: under 60 s; checks: ${WORKSPACES - wrong}/${WORKSPACES} workspaces with ${MONTHS} paid renewals, ${MONTHS} terms and every credit accounted for`);
  if (wrong) process.exitCode = 1;
} finally {
  await stops.runAll(console.error);
}
process.exit(process.exitCode ?? 0);

function refused(events: Array<{ workspace: string; statuses: Record<string, number> }>, id: string): number {
  return events.filter((e) => e.workspace === id).reduce((n, e) => n + Object.entries(e.statuses).filter(([s]) => s !== '200').reduce((m, [, c]) => m + c, 0), 0);
}
