// The real billing system for one simulation: the workflow bundle and real
// activities on a worker of the clocked time-skipping server, a scratch
// database, the Stripe sandbox and the HTTP API answering app.inject.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleOption } from '@temporalio/worker';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createActivities } from '../../activities';
import { createPool, type Pool } from '../db/pool';
import type { PricingConfig } from '../domain/pricing';
import { apiRoutes } from '../http/api-routes';
import { buildApp, type App } from '../http/app';
import { createStripeClient } from '../payments/stripe-client';
import { StripeSandbox } from '../stripe-sandbox/server';
import { BillingWorkflows } from '../temporal/billing-client';
import { registerSearchAttributes } from '../temporal/register-search-attributes';
import { createBillingWorker } from '../temporal/worker';
import { SimulationClock } from './clock';
import { SIMULATION_TOKENS } from './requests';
import { startClockedTestServer, type PostgresServer, type Stops } from './infra';

const TASK_QUEUE = 'billing-simulate';

export interface SimulationStack {
  env: TestWorkflowEnvironment;
  app: App;
  pool: Pool;
  workflows: BillingWorkflows;
  sandbox: StripeSandbox;
  /** The simulated instant for what the system stamps by itself (rows, charges, exports). */
  clock: SimulationClock;
}

export async function startSimulationStack(opts: {
  start: number;
  pricing: PricingConfig;
  postgres: PostgresServer;
  workflowBundle: WorkflowBundleOption;
  stops: Stops;
}): Promise<SimulationStack> {
  const { stops, pricing } = opts;
  const databaseUrl = await opts.postgres.scratchDatabase(stops);
  const pool = createPool(databaseUrl, 10);
  stops.push('database pool', () => pool.end());
  const clock = await SimulationClock.install(pool, opts.start);
  const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'billing-simulate-outbox-'));
  stops.push('invoice outbox', async () => rmSync(outboxDir, { recursive: true, force: true }));
  const sandbox = await StripeSandbox.start();
  stops.push('stripe sandbox', () => sandbox.close());

  const env = await startClockedTestServer(opts.start, stops);
  const namespace = env.namespace ?? 'default';
  await registerSearchAttributes(env.connection, namespace);

  const worker: Worker = await createBillingWorker({
    connection: env.nativeConnection,
    namespace,
    taskQueue: TASK_QUEUE,
    workflowBundle: opts.workflowBundle,
    activities: createActivities({
      pool,
      pricing: () => pricing,
      stripe: createStripeClient({ secretKey: 'sk_test_simulate', apiBase: sandbox.url }),
      outboxDir,
      publicBaseUrl: 'https://billing.simulate.invalid',
      seller: { name: 'Simulated Seller Inc.', address: ['1 Market Street', 'San Francisco, CA 94105', 'United States'] },
      now: clock.now,
    }),
  });
  const workerRun = worker.run();
  stops.push('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
  });

  const workflows = new BillingWorkflows(env.client, TASK_QUEUE);
  const app = await buildApp({
    tokens: SIMULATION_TOKENS,
    routes: apiRoutes({ pool, pricing, workflows, temporalHealthy: async () => undefined, webhookSecret: 'whsec_simulate', now: clock.now }),
  });
  stops.push('api', () => app.close());
  return { env, app, pool, workflows, sandbox, clock };
}
