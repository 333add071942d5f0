// One time-skipping Temporal environment per test file, started from the
// binary installed by scripts/tools.mjs (never downloaded), and workflow code
// bundled once per file.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { toolPaths } from '../../src/state-dir';

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const { temporalTestServer } = toolPaths();
  return TestWorkflowEnvironment.createTimeSkipping(
    temporalTestServer ? { server: { executable: { type: 'existing-path', path: temporalTestServer } } } : {},
  );
}

export async function bundleWorkflows(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietLogger });
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

// Activity failures we provoke on purpose (declines, injected crashes) would
// fill the output with SDK warnings; keep errors only.
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  /* already installed in this process */
}
