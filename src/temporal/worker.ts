import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';

export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));

export async function createBillingWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: object;
  /** workflows/ already bundled (tests bundle once per run); bundled at start-up when absent. */
  workflowBundle?: WorkflowBundleOption | undefined;
  /** Slots and cache (README "Benchmarks"); WORKER_TUNING_DEFAULTS when absent. */
  tuning?: Partial<WorkerTuning>;
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: opts.activities,
    ...WORKER_TUNING_DEFAULTS,
    ...opts.tuning,
  });
}

export interface WorkerTuning {
  maxConcurrentWorkflowTaskExecutions: number;
  maxConcurrentActivityTaskExecutions: number;
  maxCachedWorkflows: number;
}

/**
 * Workflow task and activity slots as the SDK sets them; the sticky cache
 * holds a billing day's renewals, which all wake at once (an evicted workflow
 * replays its whole run before its renewal). See README "Benchmarks".
 */
export const WORKER_TUNING_DEFAULTS: WorkerTuning = {
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 100,
  maxCachedWorkflows: 2000,
};

/** BENCH_WORKER_WFT, _ACT, _CACHE override the defaults (benchmarks only). */
export function tuningFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<WorkerTuning> {
  const pick = (name: string) => (env[name] ? Number(env[name]) : undefined);
  const t: Partial<WorkerTuning> = {};
  const wft = pick('BENCH_WORKER_WFT');
  const act = pick('BENCH_WORKER_ACT');
  const cache = pick('BENCH_WORKER_CACHE');
  if (wft) t.maxConcurrentWorkflowTaskExecutions = wft;
  if (act) t.maxConcurrentActivityTaskExecutions = act;
  if (cache) t.maxCachedWorkflows = cache;
  return t;
}
