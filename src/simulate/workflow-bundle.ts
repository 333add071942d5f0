// The billing workflow code for the simulation's worker: bundled once per
// process (webpack, seconds of CPU), or the file BILLING_WORKFLOW_BUNDLE names
// (the tests' run-wide bundle).
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import { workflowsPath } from '../temporal/worker';

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: (msg: string) => process.stderr.write(`${msg}\n`), log: noop };

export async function loadWorkflowBundle(): Promise<WorkflowBundleOption> {
  const codePath = process.env.BILLING_WORKFLOW_BUNDLE;
  if (codePath) return { codePath };
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quiet });
  return { code };
}
