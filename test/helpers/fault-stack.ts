// What the fault drills run against: a Temporal dev server of their own (free
// ports, temporary state), the Stripe sandbox, the run's Postgres, a client on a
// task queue of this process, and the environment a worker process needs.
import { Client, Connection } from '@temporalio/client';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import { toolPaths } from '../../src/state-dir';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../setup/free-port';

export interface FaultStack {
  /** A temporary folder, removed by stop(). */
  tmp: string;
  sandbox: StripeSandbox;
  pool: Pool;
  client: Client;
  workflows: BillingWorkflows;
  /** Environment for a WorkerProcess on this stack's task queue. */
  workerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** `name` labels the temporary folder, the task queue and the Stripe key. */
export async function startFaultStack(name: string): Promise<FaultStack> {
  const cli = toolPaths().temporalCli;
  if (!cli) throw new Error('the Temporal CLI is not installed: run `npm run tools`');
  const tmp = mkdtempSync(path.join(os.tmpdir(), `billing-${name}-`));
  const dev = await startDevServer({ cli, stateDir: tmp, port: await freePort(), uiPort: await freePort(), namespace: 'default' });
  const sandbox = await StripeSandbox.start();
  const pool = createPool(inject('databaseUrl'), 5);
  const connection = await Connection.connect({ address: dev.address });
  const taskQueue = `billing-${name}-${process.pid}`;
  const client = new Client({ connection, namespace: 'default' });
  return {
    tmp,
    sandbox,
    pool,
    client,
    workflows: new BillingWorkflows(client, taskQueue),
    workerEnv: {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      STRIPE_SECRET_KEY: `sk_test_${name.replace(/-/g, '_')}`,
      STRIPE_API_BASE: sandbox.url,
      INVOICE_OUTBOX_DIR: path.join(tmp, 'outbox'),
    },
    async stop() {
      await connection.close();
      await pool.end();
      await sandbox.close();
      await dev.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
