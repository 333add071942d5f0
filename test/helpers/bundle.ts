// Bundles workflow code with webpack quietly (errors only). Free of side
// effects, so the global setup (vitest's main process) can use it too.
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

/** `workflowInterceptorModules`: extra workflow code bundled in (a drill's changed build). */
export function bundleWorkflows(workflowsPath: string, workflowInterceptorModules: string[] = []): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: quietLogger });
}
