// The model checker's fixed budget in the test suite: random command
// sequences against the reference model and the real system (README,
// Testing > Model checker), at most RUNS of them and none started after
// TIME_LIMIT (a slow machine runs fewer, the suite stays within 3 minutes).
// Longer runs: npm run check:model. MODEL_SEED, MODEL_RUNS and
// MODEL_TIME_LIMIT_S change the budget; a failure prints its minimal sequence.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { INVOICE_PATHS } from './invoice-paths';
import { REGRESSION_PATHS } from './regression-paths';
import { checkModel, replaySequence } from './run';
import { ModelSystem } from './system';

const SEED = Number(process.env.MODEL_SEED ?? 20261203);
const RUNS = Number(process.env.MODEL_RUNS ?? 15);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 12);
const TIME_LIMIT_MS = Number(process.env.MODEL_TIME_LIMIT_S ?? 120) * 1000;

let sys: ModelSystem;
beforeAll(async () => {
  sys = await ModelSystem.start(inject('databaseUrl'), inject('workflowBundlePath'));
});
afterAll(async () => {
  await sys?.teardown();
});

it(`up to ${RUNS} random sequences (seed ${SEED}, up to ${MAX_COMMANDS + 1} commands, ${TIME_LIMIT_MS / 1000} s) give the model's answers and keep the invariants`, async () => {
  const lines: string[] = [];
  const result = await checkModel(sys, { runs: RUNS, seed: SEED, maxCommands: MAX_COMMANDS, timeLimitMs: TIME_LIMIT_MS, log: (l) => lines.push(l) });
  if (result.interrupted) console.log(`model: the time limit stopped the run after ${result.sequences} of ${RUNS} sequences`);
  expect(result.failures, lines.join('\n')).toBe(0);
  expect(result.sequences).toBeGreaterThan(0);
}, 600_000); // generous: the budget is the time limit above, this only catches a hang

it.each(Object.entries(INVOICE_PATHS))('invoice paths: %s', async (_name, sequence) => {
  const result = await replaySequence(sys, JSON.stringify(sequence));
  expect(result.failures, result.error).toBe(0);
}, 300_000);

it.each(Object.entries(REGRESSION_PATHS))('checker regression: %s', async (_name, sequence) => {
  const result = await replaySequence(sys, JSON.stringify(sequence));
  expect(result.failures, result.error).toBe(0);
}, 300_000);
