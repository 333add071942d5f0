// Prometheus metrics of the service. The Temporal worker's own metrics come
// from the SDK runtime's Prometheus exporter and are appended on /metrics.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpDuration = new Histogram({
  name: 'billing_http_request_duration_seconds',
  help: 'HTTP request latency by route, method and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});

export const creditsDebited = new Counter({
  name: 'billing_credits_debited_total',
  help: 'Credits debited by the usage endpoint, by bucket',
  labelNames: ['bucket'] as const,
  registers: [registry],
});

export const usageRefusals = new Counter({
  name: 'billing_usage_refusals_total',
  help: 'Usage requests refused, by reason (error code)',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const invoicesIssued = new Counter({
  name: 'billing_invoices_issued_total',
  help: 'Invoices issued, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

export const paymentFailures = new Counter({
  name: 'billing_payment_failures_total',
  help: 'Declined or failed charges, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});
