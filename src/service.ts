// The running service: HTTP API + Temporal worker + outbound dispatcher,
// wired to already-running infrastructure. `npm start` (src/main.ts) and the
// end-to-end tests both start it this way.
import type { Client } from '@temporalio/client';
import type { NativeConnection, Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { FastifyBaseLogger } from 'fastify';
import { createActivities } from '../activities';
import type { AppConfig } from './config/env';
import type { Pool } from './db/pool';
import type { PricingConfig } from './domain/pricing';
import { apiRoutes } from './http/api-routes';
import { deliverUndeliveredVoidInvoices } from './invoices/finalize';
import { buildApp, type App } from './http/app';
import type { ApiTokens } from './http/auth';
import { startDispatcher } from './notify/dispatcher';
import type { PaymentsSetup } from './payments/stripe-setup';
import { BillingWorkflows } from './temporal/billing-client';
import { registerSearchAttributes } from './temporal/register-search-attributes';
import { createBillingWorker } from './temporal/worker';

export interface ServiceDeps {
  pool: Pool;
  pricing: PricingConfig;
  tokens: ApiTokens;
  client: Client;
  workerConnection: NativeConnection;
  namespace: string;
  taskQueue: string;
  payments: Pick<PaymentsSetup, 'stripe' | 'webhookSecret'>;
  config: Pick<AppConfig, 'invoiceOutboxDir' | 'publicBaseUrl' | 'seller' | 'notify'>;
  logger?: FastifyBaseLogger;
  /** The Temporal SDK runtime's Prometheus endpoint, appended to /metrics. */
  temporalMetricsUrl?: string;
  /** workflows/ already bundled (the tests' run-wide bundle); the worker bundles it when absent. */
  workflowBundle?: WorkflowBundleOption;
}

export interface Service {
  app: App;
  worker: Worker;
  workflows: BillingWorkflows;
  /** Stops taking requests, drains the worker, stops the dispatcher. */
  stop(): Promise<void>;
}

export async function startService(deps: ServiceDeps): Promise<Service> {
  const { pool, pricing, client } = deps;
  const workflows = new BillingWorkflows(client, deps.taskQueue);
  const { added } = await registerSearchAttributes(client.connection, deps.namespace);
  if (added.length) deps.logger?.info({ added, namespace: deps.namespace }, 'registered search attributes');

  const worker = await createBillingWorker({
    connection: deps.workerConnection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle: deps.workflowBundle,
    activities: createActivities({
      pool,
      pricing: () => pricing,
      stripe: deps.payments.stripe,
      outboxDir: deps.config.invoiceOutboxDir,
      publicBaseUrl: deps.config.publicBaseUrl,
      seller: deps.config.seller,
    }),
  });
  const workerRun = worker.run();

  const app = await buildApp({
    tokens: deps.tokens,
    ...(deps.logger ? { logger: deps.logger } : {}),
    routes: apiRoutes({
      pool,
      pricing,
      workflows,
      temporalHealthy: async () => void (await client.workflowService.getSystemInfo({})),
      webhookSecret: deps.payments.webhookSecret,
      temporalMetricsUrl: deps.temporalMetricsUrl,
    }),
  });

  if (!deps.config.seller.taxId) {
    app.log.warn("SELLER_TAX_ID is not set: invoices to EU business customers (those with a VAT ID) must show the seller's VAT ID");
  }
  // Void invoices voided before they were delivered: finance gets every number of the series.
  // Not fatal: the service runs without it, and the next start tries again.
  const delivery = { outboxDir: deps.config.invoiceOutboxDir, publicBaseUrl: deps.config.publicBaseUrl };
  await deliverUndeliveredVoidInvoices(pool, delivery).then(
    (numbers) => numbers.length > 0 && app.log.info({ invoices: numbers }, 'delivered void invoices to finance'),
    (err: unknown) => app.log.error({ err }, 'delivering earlier void invoices to finance failed; the next start tries again'),
  );

  let dispatcher: { stop(): Promise<void> } | null = null;
  const { url, secret } = deps.config.notify;
  if (url) {
    if (!secret) throw new Error('NOTIFY_WEBHOOK_SECRET is required with NOTIFY_WEBHOOK_URL (events are HMAC-signed)');
    dispatcher = startDispatcher(pool, { url, secret, onError: (err) => app.log.error({ err }, 'notify dispatcher') });
  }

  return {
    app,
    worker,
    workflows,
    async stop() {
      await app.close();
      await dispatcher?.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
    },
  };
}
