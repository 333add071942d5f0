// The service's HTTP API (every route, src/http/api-routes.ts) on this run's
// Postgres, for app.inject: no Temporal, no Stripe. Its workflows are
// unreachable: a request that gets past validation and auth to the workflow
// is answered 500, which fails any test expecting a refusal. The fuzzing
// passes workflows that note every call and time out instead.
import { afterAll } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import type { Pool } from '../../src/db/pool';
import { CodedError } from '../../src/domain/failure-codes';
import { apiRoutes } from '../../src/http/api-routes';
import { buildApp, type App } from '../../src/http/app';
import type { BillingWorkflows } from '../../src/temporal/billing-client';

export const API_TOKENS = { api: 'bk_full_inject', read: 'bk_read_inject' };

const unreachableWorkflows = new Proxy({} as BillingWorkflows, {
  get: (_, method) => () => {
    throw new Error(`the request reached the workflow (${String(method)})`);
  },
});

/**
 * Workflows that note every call (method name) in `calls` and answer as a
 * Temporal that did not answer in time: 503 still_processing, nothing changed.
 */
export function timingOutWorkflows(calls: string[]): BillingWorkflows {
  return new Proxy({} as BillingWorkflows, {
    get: (_, method) => async () => {
      calls.push(String(method));
      throw new CodedError('still_processing', 'test stand-in: the request reached the workflow, which did not answer');
    },
  });
}

export const INJECT_WEBHOOK_SECRET = 'whsec_inject_tests';

/** The API on `pool`, closed after the file's tests. */
export async function apiOnInject(pool: Pool, workflows: BillingWorkflows = unreachableWorkflows): Promise<App> {
  const app = await buildApp({
    tokens: API_TOKENS,
    routes: apiRoutes({
      pool,
      pricing: loadPricing(),
      workflows,
      temporalHealthy: async () => undefined,
      webhookSecret: INJECT_WEBHOOK_SECRET,
    }),
  });
  afterAll(() => app.close());
  return app;
}
