// Every route of the HTTP API, on its dependencies: the service wires the real
// ones (src/service.ts); tests build the same API on app.inject with fakes.
import type { Pool } from '../db/pool';
import type { PricingConfig } from '../domain/pricing';
import type { BillingWorkflows } from '../temporal/billing-client';
import { exportRoutes } from './routes/export';
import { healthRoutes } from './routes/health';
import { invoiceRoutes } from './routes/invoices';
import { lifecycleRoutes } from './routes/lifecycle';
import { metricsRoutes } from './routes/metrics';
import { stripeWebhookRoutes } from './routes/stripe-webhook';
import { usageRoutes } from './routes/usage';
import { workspaceReadRoutes } from './routes/workspace-read';

export interface ApiRouteDeps {
  pool: Pool;
  pricing: PricingConfig;
  workflows: BillingWorkflows;
  /** Resolves when Temporal answers (health check). */
  temporalHealthy: () => Promise<void>;
  /** Without a secret nothing verifies, so every webhook is refused (400). */
  webhookSecret: string | undefined;
  /** The Temporal SDK runtime's Prometheus endpoint, appended to /metrics. */
  temporalMetricsUrl?: string | undefined;
  /** The clock of instants the API writes itself (an export's exportedAt): the simulator's virtual time, else the machine's. */
  now?: () => number;
}

export function apiRoutes(deps: ApiRouteDeps) {
  const { pool, pricing, workflows } = deps;
  return [
    metricsRoutes({ ...(deps.temporalMetricsUrl ? { temporalMetricsUrl: deps.temporalMetricsUrl } : {}) }),
    healthRoutes({ pool, temporalHealthy: deps.temporalHealthy }),
    lifecycleRoutes({ workflows, pricing: () => pricing, pool }),
    workspaceReadRoutes({ pool }),
    usageRoutes({ pool, pricing }),
    invoiceRoutes({ pool }),
    exportRoutes({ pool, ...(deps.now ? { now: deps.now } : {}) }),
    stripeWebhookRoutes({
      pool,
      webhookSecret: deps.webhookSecret ?? '',
      signalPayment: (workspaceId, signal) => workflows.signalPayment(workspaceId, signal),
    }),
  ];
}
