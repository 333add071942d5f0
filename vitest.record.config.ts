import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run record:histories`: regenerates the replay fixtures (not part of npm test),
// with the workflow tier's setups (Postgres, the run's workflow bundle).
const { projects: _tiers, ...shared } = base.test ?? {};
export default defineConfig({
  test: {
    ...shared,
    include: ['scripts/record/**/*.rec.ts'],
    globalSetup: ['test/setup/postgres.ts', 'test/setup/workflow-bundle.ts'],
  },
});
