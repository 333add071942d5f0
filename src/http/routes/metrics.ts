import { httpDuration, registry } from '../../metrics';
import type { App } from '../app';

/** GET /metrics: our registry, plus the Temporal worker's metrics when its exporter runs. */
export function metricsRoutes(deps: { temporalMetricsUrl?: string }) {
  return (app: App) => {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      httpDuration.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });

    const schema = {
      tags: ['ops'],
      operationId: 'getMetrics',
      summary: 'Prometheus metrics (text exposition format)',
      security: [],
      response: { 200: { description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
    };
    app.get('/metrics', { config: { auth: false }, schema }, async (_req, reply) => {
      let body = await registry.metrics();
      if (deps.temporalMetricsUrl) {
        try {
          const res = await fetch(deps.temporalMetricsUrl, { signal: AbortSignal.timeout(2000) });
          if (res.ok) body += `\n# Temporal worker (SDK runtime)\n${await res.text()}`;
        } catch {
          body += '\n# Temporal worker metrics unavailable\n';
        }
      }
      return reply.type(registry.contentType).send(body);
    });
  };
}
