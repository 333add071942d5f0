// A scenario event as the HTTP request it names (`do`), sent through the real
// API with app.inject. Keys are generated from the event's position when the
// body has none, so a run is reproducible; `repeat` gives each request its own.
import type { App } from '../http/app';
import type { ScenarioEvent } from './scenario';

/** The API tokens of a simulation's app (src/simulate/stack.ts builds it with them). */
export const SIMULATION_TOKENS = { api: 'bk_full_simulate', read: 'bk_read_simulate' };

export interface Answer {
  status: number;
  body: unknown;
}

interface Route {
  method: 'GET' | 'POST' | 'PUT';
  path: (e: ScenarioEvent) => string;
  /** Where the idempotency key goes: the body's `idempotencyKey`, the Idempotency-Key header, or nowhere (reads). */
  key: 'body' | 'header' | 'none';
  body: boolean;
}

const ws = (e: ScenarioEvent) => `/v1/workspaces/${encodeURIComponent(e.workspace)}`;
const ROUTES: Record<ScenarioEvent['do'], Route> = {
  create: { method: 'POST', path: () => '/v1/workspaces', key: 'header', body: true },
  get: { method: 'GET', path: ws, key: 'none', body: false },
  usage: { method: 'POST', path: (e) => `${ws(e)}/usage`, key: 'body', body: true },
  purchase: { method: 'POST', path: (e) => `${ws(e)}/purchases`, key: 'body', body: true },
  plan: { method: 'POST', path: (e) => `${ws(e)}/plan`, key: 'header', body: true },
  cancel: { method: 'POST', path: (e) => `${ws(e)}/cancel`, key: 'header', body: false },
  resume: { method: 'POST', path: (e) => `${ws(e)}/resume`, key: 'header', body: false },
  'payment-method': { method: 'PUT', path: (e) => `${ws(e)}/payment-method`, key: 'header', body: true },
  'on-demand': { method: 'PUT', path: (e) => `${ws(e)}/on-demand`, key: 'header', body: true },
  feature: { method: 'PUT', path: (e) => `${ws(e)}/features/${encodeURIComponent(e.feature ?? '')}`, key: 'header', body: true },
  export: { method: 'GET', path: (e) => `${ws(e)}/export`, key: 'none', body: false },
};

/** The `n`th request (0-based) of event `e`. */
export async function sendEventRequest(app: App, e: ScenarioEvent, n: number): Promise<Answer> {
  const route = ROUTES[e.do];
  // Each run has its own database: keys only need to be unique within it.
  // A body's own `idempotencyKey` (a retry of an earlier event's request) is kept, wherever the route takes it.
  const given = e.body?.idempotencyKey;
  const key = typeof given === 'string' ? (n === 0 ? given : `${given}-${n}`) : `sim-e${e.index}-${n}`;
  const body: Record<string, unknown> | undefined = route.body ? { ...e.body } : undefined;
  if (e.do === 'create' && body) body.id = e.workspace;
  if (body && route.key !== 'body') delete body.idempotencyKey; // sent as the Idempotency-Key header
  if (route.key === 'body' && body) body.idempotencyKey = key;
  const headers: Record<string, string> = { authorization: `Bearer ${SIMULATION_TOKENS.api}` };
  if (route.key === 'header') headers['idempotency-key'] = key;
  if (body) headers['content-type'] = 'application/json';
  const res = await app.inject({ method: route.method, url: route.path(e), headers, ...(body ? { payload: JSON.stringify(body) } : {}) });
  return { status: res.statusCode, body: parseBody(res.headers['content-type'], res.body) };
}

/** A GET of the API as the simulation's reader. */
export async function apiGet(app: App, url: string): Promise<Answer & { raw: Buffer }> {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${SIMULATION_TOKENS.api}` } });
  return { status: res.statusCode, body: parseBody(res.headers['content-type'], res.body), raw: res.rawPayload };
}

function parseBody(type: string | string[] | number | undefined, text: string): unknown {
  if (text.length === 0) return null;
  if (String(type ?? '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      // an export streams JSON lines
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown);
    }
  }
  return text;
}
