// Process configuration from the environment (SPEC section 8). Every value is
// optional on one machine; absent ones fall back to embedded defaults.
import path from 'node:path';
import { portFromEnv, resolveAddresses } from './addresses';

export interface AppConfig {
  /** Interface the API binds (HOST, default 127.0.0.1). */
  host: string;
  port: number;
  /** The API on this machine (what the banner prints and the local Stripe sandbox posts webhooks to). */
  localApiUrl: string;
  stateDir: string;
  databaseUrl: string | undefined;
  /** Port of the embedded Postgres (without DATABASE_URL). */
  embeddedPostgresPort: number;
  temporal: {
    address: string | undefined;
    namespace: string;
    /** The embedded dev server's UI (or TEMPORAL_UI_URL). */
    uiUrl: string | undefined;
    taskQueue: string;
    /** Ports of the embedded dev server and its UI (without TEMPORAL_ADDRESS). */
    devPort: number;
    uiPort: number;
    /** Where the Temporal SDK runtime's Prometheus exporter listens (appended to GET /metrics). */
    metricsPort: number;
  };
  stripe: {
    secretKey: string | undefined;
    apiBase: string | undefined;
    webhookSecret: string | undefined;
    /** Port of the local Stripe sandbox (without STRIPE_SECRET_KEY). */
    sandboxPort: number;
  };
  invoiceOutboxDir: string;
  /**
   * Where finance reaches this API from outside (PUBLIC_BASE_URL): the
   * invoice events' `pdfUrl` is absolute under it. Default: HOST and PORT
   * (this machine's name when HOST is every interface).
   */
  publicBaseUrl: string;
  notify: { url: string | undefined; secret: string | undefined };
  apiToken: string | undefined;
  readToken: string | undefined;
  seller: { name: string; address: string[]; taxId?: string };
}

const int = (name: string, fallback: number) => portFromEnv(name, fallback);

const opt = (name: string) => (process.env[name] ? process.env[name] : undefined);

/** An absolute http(s) URL without a trailing slash, so paths append to it. */
export function publicBaseUrl(value: string | undefined, fallback: string): string {
  if (value === undefined) return fallback;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`PUBLIC_BASE_URL must be an absolute http(s) URL such as https://billing.example.com, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`PUBLIC_BASE_URL must use http or https, got '${value}'`);
  if (url.search || url.hash || url.username || url.password) {
    throw new Error(`PUBLIC_BASE_URL must be a plain base URL (no query, fragment or credentials), got '${value}'`);
  }
  return url.href.replace(/\/+$/, '');
}

/** The seller's tax ID printed on every invoice (SELLER_TAX_ID); EU B2B invoices need it. */
function sellerTaxId(): string | undefined {
  const value = opt('SELLER_TAX_ID')?.trim();
  if (value === undefined || value === '') return undefined;
  if (!/^[A-Za-z0-9][A-Za-z0-9 .\-/]{0,39}$/.test(value)) {
    throw new Error(`SELLER_TAX_ID must be 1-40 letters, digits, spaces, '.', '-' or '/', got '${value}'`);
  }
  return value;
}

export function loadConfig(): AppConfig {
  const addresses = resolveAddresses();
  const dir = addresses.stateDir;
  const taxId = sellerTaxId();
  return {
    host: addresses.host,
    port: addresses.port,
    localApiUrl: addresses.localApiUrl,
    stateDir: dir,
    databaseUrl: opt('DATABASE_URL'),
    embeddedPostgresPort: int('EMBEDDED_PG_PORT', 54329),
    temporal: {
      address: addresses.temporal.external,
      namespace: addresses.temporal.namespace,
      uiUrl: addresses.temporal.uiUrl,
      taskQueue: opt('TEMPORAL_TASK_QUEUE') ?? 'billing',
      devPort: addresses.temporal.devPort,
      uiPort: addresses.temporal.uiPort,
      metricsPort: int('TEMPORAL_METRICS_PORT', 9464),
    },
    stripe: {
      secretKey: opt('STRIPE_SECRET_KEY'),
      apiBase: opt('STRIPE_API_BASE'),
      webhookSecret: opt('STRIPE_WEBHOOK_SECRET'),
      sandboxPort: int('STRIPE_SANDBOX_PORT', 12112),
    },
    invoiceOutboxDir: path.resolve(opt('INVOICE_OUTBOX_DIR') ?? path.join(dir, 'invoice-outbox')),
    publicBaseUrl: publicBaseUrl(opt('PUBLIC_BASE_URL'), addresses.publicApiUrl),
    notify: { url: opt('NOTIFY_WEBHOOK_URL'), secret: opt('NOTIFY_WEBHOOK_SECRET') },
    apiToken: opt('BILLING_API_TOKEN'),
    readToken: opt('BILLING_READ_TOKEN'),
    seller: {
      name: opt('SELLER_NAME') ?? 'Credit Billing Orchestrator Inc.',
      address: (opt('SELLER_ADDRESS') ?? '1 Market Street|San Francisco, CA 94105|United States').split('|'),
      ...(taxId ? { taxId } : {}),
    },
  };
}
