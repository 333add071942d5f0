import { defineConfig } from 'vitest/config';

// The tests in tiers (Vitest projects), each started only with what it needs:
//   unit        pure code, no server
//   workflow    the billing workflow on the time-skipping Temporal server (+ Postgres)
//   integration activities, Stripe request shapes and the HTTP API on Postgres
//   e2e         the whole service as `npm start` runs it (Temporal dev server)
//   faults      outages, worker crashes, webhook storms
//   model       random lifecycles against a reference model of the rules (test/model)
// `npm test` runs them all; `npm run test:<tier>` (or `vitest run --project <tier>`) one.
// The global setups are shared by the tiers that list them (one Postgres, one
// stripe-mock, one workflow bundle per run: test/setup/shared-once.ts).
const postgres = 'test/setup/postgres.ts';
const stripeMock = 'test/setup/stripe-mock-setup.ts';
const workflowBundle = 'test/setup/workflow-bundle.ts';

const tier = (name: string, folders: string[], globalSetup: string[], options: { isolate?: boolean } = {}) => ({
  extends: true as const,
  test: { name, include: folders.map((f) => `test/${f}/**/*.test.ts`), globalSetup, ...options },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['verbose', './test/setup/summary-reporter.ts'],
    projects: [
      // Pure code: the files share one module cache per worker (a fresh process
      // per file cost seconds of start-up, many times what the tests take).
      tier('unit', ['unit'], [], { isolate: false }),
      tier('workflow', ['workflow'], [postgres, workflowBundle]),
      tier('integration', ['activities', 'api'], [postgres, stripeMock, workflowBundle]),
      tier('e2e', ['e2e'], [postgres, workflowBundle]),
      tier('faults', ['faults'], [postgres, workflowBundle]),
      tier('model', ['model'], [postgres, workflowBundle]),
    ],
  },
});
