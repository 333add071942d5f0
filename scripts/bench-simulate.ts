// `npm run bench:simulate`: `npm run simulate` on 100 Pro workspaces over 12
// months with usage every week (the README's target: under 60 s), in this
// process so its CPU time is measured; the test server and Postgres are
// separate processes. Checks the run: every workspace has one paid renewal
// invoice per term and the usage it was sent.
// Sizes: SIM_WORKSPACES (100), SIM_MONTHS (12); SIM_VERBOSE=1 logs each instant's real time (stderr).
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import os from 'node:os';
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
  const { result } = await runScenario(scenario, { postgres, workflowBundle, verbose: VERBOSE, log: (msg) => console.error(msg) });
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
  console.log(`| workspaces | months | requests | wall s | this process CPU s | load avg before / after (1 min) |`);
  console.log(`|---|---|---|---|---|---|`);
  console.log(
    `| ${WORKSPACES} | ${MONTHS} | ${events.length + WORKSPACES} | **${wall.toFixed(1)}** | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} | ${load[0]!.toFixed(1)} / ${load2[0]!.toFixed(1)} on ${os.availableParallelism()} CPUs |`,
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
