// One time-skipping Temporal environment per test file, started from the
// binary installed by scripts/tools.mjs (never downloaded). The billing
// workflow is bundled once per run (test/setup/workflow-bundle.ts).
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { toolPaths } from '../../src/state-dir';

export { bundleWorkflows } from './bundle';

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { temporalTestServer } = toolPaths();
  return TestWorkflowEnvironment.createTimeSkipping(
    temporalTestServer ? { server: { executable: { type: 'existing-path', path: temporalTestServer } } } : {},
  );
}

// Activity failures we provoke on purpose (declines, injected crashes) would
// fill the output with SDK warnings; keep errors only.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed in this process */
}
