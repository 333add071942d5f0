// `npm start`: the whole service on one machine. Every external part is
// embedded unless configured (DATABASE_URL, TEMPORAL_ADDRESS, STRIPE_SECRET_KEY),
// so the same command serves a real deployment.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from './config/env';
import { loadPricing } from './config/pricing';
import { resolveTokens } from './config/tokens';
import { startEmbeddedPostgres } from './db/embedded-postgres';
import { migrateUp } from './db/migrate';
import { createPool, endPool } from './db/pool';
import { setUpPayments } from './payments/stripe-setup';
import { startService } from './service';
import { toolPaths } from './state-dir';
import { startDevServer } from './temporal/dev-server';
import { workspaceSearchTemplate } from './temporal/ui-links';
import { installTemporalRuntime } from './temporal/runtime';

const log = pino({ name: 'billing' });
/** Stop actions, most recent first. */
const stops: Array<[string, () => Promise<unknown>]> = [];

async function main() {
  const config = loadConfig();
  const { metricsUrl } = installTemporalRuntime({ metricsPort: config.temporal.metricsPort });
  const pricing = loadPricing(); // fail fast on a bad PRICING_CONFIG
  const tokens = resolveTokens(config.stateDir, { api: config.apiToken, read: config.readToken });

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const port = config.embeddedPostgresPort;
    const pg = await startEmbeddedPostgres({ dataDir: path.join(config.stateDir, 'postgres'), port, persistent: true, onOutsideStop: partStopped });
    stops.unshift(['postgres', () => pg.stop()]);
    databaseUrl = pg.adminUrl;
    log.info({ port }, 'embedded Postgres started');
  }
  const applied = await migrateUp(databaseUrl);
  log.info({ applied }, 'migrations applied');
  const pool = createPool(databaseUrl);
  stops.unshift(['postgres pool', () => endPool(pool)]);

  let temporalAddress = config.temporal.address;
  let uiUrl = config.temporal.uiUrl;
  if (!temporalAddress) {
    const cli = toolPaths().temporalCli;
    if (!cli) throw new Error('the Temporal CLI is not installed: run `npm run tools` or set TEMPORAL_ADDRESS');
    const dev = await startDevServer({
      cli,
      stateDir: config.stateDir,
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      onOutsideStop: partStopped,
    });
    stops.unshift(['temporal dev server', () => dev.stop()]);
    temporalAddress = dev.address;
    uiUrl = config.temporal.uiUrl ?? dev.uiUrl;
  }

  const payments = await setUpPayments(config);
  if (payments.sandbox) stops.unshift(['stripe sandbox', () => payments.sandbox!.close()]);

  const connection = await Connection.connect({ address: temporalAddress });
  stops.unshift(['temporal client', () => connection.close()]);
  const workerConnection = await NativeConnection.connect({ address: temporalAddress });
  stops.unshift(['worker connection', () => workerConnection.close()]);

  const service = await startService({
    pool,
    pricing,
    tokens,
    client: new Client({ connection, namespace: config.temporal.namespace }),
    workerConnection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    payments,
    config,
    logger: log,
    temporalMetricsUrl: metricsUrl,
  });
  stops.unshift(['service (http, dispatcher, worker drain)', () => service.stop()]);
  await service.app.listen({ port: config.port, host: config.host });

  const api = config.localApiUrl;
  console.log(
    [
      '',
      'Credit billing orchestrator is running',
      `  API          ${api}/v1`,
      `  OpenAPI      ${api}/openapi.json`,
      `  Health       ${api}/healthz`,
      `  Metrics      ${api}/metrics`,
      `  Temporal     ${temporalAddress} (namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue})`,
      `  Temporal UI  ${uiUrl ?? '(external Temporal: use its own UI, or set TEMPORAL_UI_URL)'}`,
      ...(uiUrl ? [`  Workspace    ${workspaceSearchTemplate(uiUrl, config.temporal.namespace)} (replace <id>)`] : []),
      ...payments.banner,
      `  Invoices     PDFs delivered to ${config.invoiceOutboxDir}; events' pdfUrl under ${config.publicBaseUrl} (PUBLIC_BASE_URL)`,
      `  API token    ${tokens.api}`,
      `  Read token   ${tokens.read}`,
      `  Webhooks     ${config.notify.url ?? 'off (set NOTIFY_WEBHOOK_URL and NOTIFY_WEBHOOK_SECRET)'}`,
      '',
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
}

let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  for (const [name, stop] of stops) {
    try {
      await stop();
      log.info(`${name} stopped`);
    } catch (err) {
      log.error({ err }, `${name} failed to stop`);
    }
  }
  process.exit(code);
}

// embedded-postgres (through async-exit-hook) stops its clusters and exits the
// process on these signals, racing our ordered shutdown: only ours stay. Its
// 'exit' hook stays as a last resort that stops Postgres if we crash.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (stopping) log.info(`${signal}: already stopping`);
    void shutdown(0);
  });
}
// Started by scripts/start.mjs (npm start) with an IPC channel: stop when that launcher is gone.
process.on('disconnect', () => {
  log.info('the launcher is gone: stopping');
  void shutdown(0);
});
/** A part we started was stopped by someone else (a signal to Postgres or the dev server): stop the rest in order. */
function partStopped(why: string) {
  if (stopping) return;
  log.warn(`${why}: stopping everything`);
  void shutdown(0);
}
main().catch((err: unknown) => {
  log.error({ err }, 'start-up failed');
  void shutdown(1);
});
