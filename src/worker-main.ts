// `npm run worker`: a Temporal worker on its own, for running more workers
// than API processes (or restarting them separately). Unlike `npm start` it
// embeds nothing: DATABASE_URL, TEMPORAL_ADDRESS and STRIPE_SECRET_KEY are
// required (STRIPE_API_BASE points it at stripe-mock or the sandbox).
// SIGTERM/SIGINT drain it; a killed worker's work is retried by another.
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { createActivities } from '../activities';
import { loadConfig } from './config/env';
import { loadPricing } from './config/pricing';
import { createPool } from './db/pool';
import { createStripeClient } from './payments/stripe-client';
import { installTemporalRuntime } from './temporal/runtime';
import { createBillingWorker } from './temporal/worker';

const log = pino({ name: 'billing-worker' });

function required(name: string, value: string | undefined): string {
  if (!value) throw new Error(`${name} is required for a standalone worker (npm start embeds everything instead)`);
  return value;
}

async function main() {
  const config = loadConfig();
  const databaseUrl = required('DATABASE_URL', config.databaseUrl);
  const address = required('TEMPORAL_ADDRESS', config.temporal.address);
  const secretKey = required('STRIPE_SECRET_KEY', config.stripe.secretKey);
  installTemporalRuntime({ metricsPort: config.temporal.metricsPort });
  const pricing = loadPricing();

  const pool = createPool(databaseUrl);
  const connection = await NativeConnection.connect({ address });
  const worker = await createBillingWorker({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: createActivities({
      pool,
      pricing: () => pricing,
      stripe: createStripeClient({ secretKey, apiBase: config.stripe.apiBase }),
      outboxDir: config.invoiceOutboxDir,
      publicBaseUrl: config.publicBaseUrl,
      seller: config.seller,
    }),
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info({ signal }, 'draining the worker');
      worker.shutdown();
    });
  }
  log.info({ address, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue }, 'worker running');
  // Test harnesses wait for this line on stdout before counting on the worker.
  console.log('billing worker ready');
  await worker.run();
  await connection.close();
  await pool.end();
  log.info('worker stopped');
}

main().catch((err: unknown) => {
  log.error({ err }, 'worker failed');
  process.exit(1);
});
