// Every route of SPEC section 7 (plus the API additions noted below), as OpenAPI spells its path. The contract
// tests check each one's auth answers and that /openapi.json lists them all.

export interface SpecRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** OpenAPI path template, e.g. /v1/workspaces/{id}. */
  path: string;
  /** false: public (health, metrics, docs) or authenticated otherwise (Stripe signature). */
  bearer: boolean;
}

export const SPEC_ROUTES: readonly SpecRoute[] = [
  { method: 'POST', path: '/v1/workspaces', bearer: true },
  { method: 'GET', path: '/v1/workspaces/{id}', bearer: true },
  { method: 'POST', path: '/v1/workspaces/{id}/plan', bearer: true },
  { method: 'POST', path: '/v1/workspaces/{id}/cancel', bearer: true },
  { method: 'POST', path: '/v1/workspaces/{id}/resume', bearer: true },
  { method: 'PUT', path: '/v1/workspaces/{id}/payment-method', bearer: true },
  { method: 'POST', path: '/v1/workspaces/{id}/purchases', bearer: true },
  { method: 'PUT', path: '/v1/workspaces/{id}/on-demand', bearer: true },
  { method: 'PUT', path: '/v1/workspaces/{id}/features/{feature}', bearer: true },
  // Not in SPEC section 7: rule 11's per-workspace threshold (issue 11).
  { method: 'PUT', path: '/v1/workspaces/{id}/low-balance', bearer: true },
  { method: 'POST', path: '/v1/workspaces/{id}/usage', bearer: true },
  { method: 'GET', path: '/v1/workspaces/{id}/usage', bearer: true },
  { method: 'GET', path: '/v1/workspaces/{id}/usage/history', bearer: true },
  { method: 'GET', path: '/v1/workspaces/{id}/invoices', bearer: true },
  { method: 'GET', path: '/v1/invoices/{id}', bearer: true },
  { method: 'GET', path: '/v1/invoices/{id}/pdf', bearer: true },
  { method: 'GET', path: '/v1/workspaces/{id}/export', bearer: true },
  { method: 'POST', path: '/v1/stripe/webhook', bearer: false },
  { method: 'GET', path: '/healthz', bearer: false },
  { method: 'GET', path: '/metrics', bearer: false },
  { method: 'GET', path: '/openapi.json', bearer: false },
];

/** A concrete URL for a route template. */
export function urlFor(route: SpecRoute, params: { id: string; invoiceId: string; feature?: string }): string {
  const id = route.path.startsWith('/v1/invoices/') ? params.invoiceId : params.id;
  return route.path.replace('{id}', encodeURIComponent(id)).replace('{feature}', params.feature ?? 'chat');
}
