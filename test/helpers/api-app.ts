// The service's HTTP API (every route, src/http/api-routes.ts) on this run's
// Postgres, for app.inject: no Temporal, no Stripe. Its workflows are
// unreachable: a request that gets past validation and auth to the workflow
// is answered 500, which fails any test expecting a refusal.
import { afterAll } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import type { Pool } from '../../src/db/pool';
import { apiRoutes } from '../../src/http/api-routes';
import { buildApp, type App } from '../../src/http/app';
import type { BillingWorkflows } from '../../src/temporal/billing-client';

export const API_TOKENS = { api: 'bk_full_inject', read: 'bk_read_inject' };

const unreachableWorkflows = new Proxy({} as BillingWorkflows, {
  get: (_, method) => () => {
    throw new Error(`the request reached the workflow (${String(method)})`);
  },
});

/** The API on `pool`, closed after the file's tests. */
export async function apiOnInject(pool: Pool): Promise<App> {
  const app = await buildApp({
    tokens: API_TOKENS,
    routes: apiRoutes({
      pool,
      pricing: loadPricing(),
      workflows: unreachableWorkflows,
      temporalHealthy: async () => undefined,
      webhookSecret: 'whsec_inject_tests',
    }),
  });
  afterAll(() => app.close());
  return app;
}
