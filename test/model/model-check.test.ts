// The model checker's fixed budget in the test suite: random command
// sequences against the reference model and the real system (README,
// Testing > Model checker). Longer runs: npm run check:model. MODEL_SEED and
// MODEL_RUNS change the budget; a failure prints its minimal sequence.
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { checkModel } from './run';
import { ModelSystem } from './system';

const SEED = Number(process.env.MODEL_SEED ?? 20261203);
const RUNS = Number(process.env.MODEL_RUNS ?? 15);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 12);

let sys: ModelSystem;
beforeAll(async () => {
  sys = await ModelSystem.start(inject('databaseUrl'), inject('workflowBundlePath'));
});
afterAll(async () => {
  await sys?.teardown();
});

it(`${RUNS} random sequences (seed ${SEED}, up to ${MAX_COMMANDS + 1} commands) give the model's answers and keep the invariants`, async () => {
  const lines: string[] = [];
  const result = await checkModel(sys, { runs: RUNS, seed: SEED, maxCommands: MAX_COMMANDS, log: (l) => lines.push(l) });
  expect(result, lines.join('\n')).toEqual({ sequences: RUNS, failures: 0 });
}, 170_000);
