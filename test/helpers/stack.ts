// The whole service for end-to-end tests, the way `npm start` runs it: the
// Temporal dev server from the installed CLI (its own temp state dir, free
// ports, our search attributes), the Stripe sandbox sending signed webhooks to
// our webhook route, and startService on the run's test database, listening
// on a free port, running the run's workflow bundle (test/setup/workflow-bundle.ts).
// One stack per test file (the SDK runtime is per process).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { createPool } from '../../src/db/pool';
import { createStripeClient } from '../../src/payments/stripe-client';
import { startService, type Service } from '../../src/service';
import { toolPaths } from '../../src/state-dir';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { installTemporalRuntime } from '../../src/temporal/runtime';
import { freePort } from '../setup/free-port';

export interface Stack {
  /** http://127.0.0.1:<port> of the API. */
  api: string;
  tokens: { api: string; read: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  client: Client;
  sandbox: StripeSandbox;
  service: Service;
  outboxDir: string;
  /** The Stripe webhook signing secret the service verifies with. */
  webhookSecret: string;
  stop(): Promise<void>;
}

export async function startStack(): Promise<Stack> {
  const { temporalCli } = toolPaths();
  if (!temporalCli) throw new Error('the Temporal CLI is not installed: run `npm run tools`');
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.splice(0)) await s().catch((err: unknown) => console.error('stack stop:', err));
  };
  try {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'billing-e2e-'));
    stops.unshift(async () => rmSync(tmp, { recursive: true, force: true }));

    const { metricsUrl } = installTemporalRuntime({ metricsPort: await freePort(), logLevel: 'ERROR' });
    const namespace = 'default';
    const dev: DevServer = await startDevServer({
      cli: temporalCli,
      stateDir: tmp,
      port: await freePort(),
      uiPort: await freePort(),
      namespace,
    });
    stops.unshift(() => dev.stop());

    const port = await freePort();
    const webhookSecret = `whsec_e2e_${randomBytes(12).toString('hex')}`;
    const sandbox = await StripeSandbox.start({ webhook: { url: `http://127.0.0.1:${port}/v1/stripe/webhook`, secret: webhookSecret } });
    stops.unshift(() => sandbox.close());

    const pool = createPool(inject('databaseUrl'), 10);
    stops.unshift(() => pool.end());
    const connection = await Connection.connect({ address: dev.address });
    stops.unshift(() => connection.close());
    const workerConnection = await NativeConnection.connect({ address: dev.address });
    stops.unshift(() => workerConnection.close());

    const client = new Client({ connection, namespace });
    const taskQueue = `billing-e2e-${randomBytes(4).toString('hex')}`;
    const tokens = { api: `bk_full_${randomBytes(8).toString('hex')}`, read: `bk_read_${randomBytes(8).toString('hex')}` };
    const outboxDir = path.join(tmp, 'invoice-outbox');
    const service = await startService({
      pool,
      pricing: loadPricing(),
      tokens,
      client,
      workerConnection,
      namespace,
      taskQueue,
      payments: { stripe: createStripeClient({ secretKey: 'sk_test_e2e', apiBase: sandbox.url }), webhookSecret },
      config: {
        invoiceOutboxDir: outboxDir,
        publicBaseUrl: `http://127.0.0.1:${port}`,
        seller: { name: 'Billing E2E Inc.', address: ['1 Test Way', 'Springfield'] },
        notify: { url: undefined, secret: undefined },
      },
      temporalMetricsUrl: metricsUrl,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    stops.unshift(() => service.stop());
    await service.app.listen({ port, host: '127.0.0.1' });

    return {
      api: `http://127.0.0.1:${port}`,
      tokens,
      temporal: { address: dev.address, namespace, taskQueue, uiUrl: dev.uiUrl },
      client,
      sandbox,
      service,
      outboxDir,
      webhookSecret,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
