// What every route can answer besides its own refusals, added to its schema
// as it is registered (so the OpenAPI document lists every status a route can
// answer): the edge's refusals (auth, body parsing, validation), a database
// that is down, an internal error. A route names its own refusals in
// `config.refusals`.
import type { RouteOptions } from 'fastify';
import type { FailureCode } from '../domain/failure-codes';
import { errorResponses } from './schemas/errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The failure codes this route's handler (or its workflow) may answer with. */
    refusals?: readonly FailureCode[];
    /** A value outside the enumeration of this field (`action`) is refused with this code, not validation_failed. */
    enumRefusals?: Readonly<Record<string, FailureCode>>;
  }
}

type Schema = { body?: unknown; params?: unknown; querystring?: unknown; headers?: unknown; response?: Record<string, unknown>; hide?: boolean };

/** The failure codes a route can answer: the edge's for its shape, and its own. */
export function routeRefusals(route: Pick<RouteOptions, 'method' | 'url' | 'schema' | 'config'>): Set<FailureCode> {
  const schema = (route.schema ?? {}) as Schema;
  const config = (route.config ?? {}) as { auth?: boolean; refusals?: readonly FailureCode[] };
  const methods = [route.method].flat();
  const writes = methods.some((m) => m !== 'GET' && m !== 'HEAD');
  const codes = new Set<FailureCode>(['internal', 'bad_request']);
  if (route.url.startsWith('/v1/')) codes.add('database_unavailable').add('bad_url');
  if (config.auth !== false) {
    codes.add('unauthorized');
    if (writes) codes.add('forbidden');
  }
  if (writes) codes.add('body_too_large');
  if (writes && config.auth !== false) codes.add('invalid_json').add('unsupported_media_type').add('validation_failed');
  if (schema.params || schema.querystring || schema.headers || schema.body) codes.add('validation_failed');
  for (const code of config.refusals ?? []) codes.add(code);
  return codes;
}

/** onRoute hook: the route's error answers join its response schemas (a response it declares itself wins). */
export function documentErrorAnswers(route: RouteOptions): void {
  const schema = (route.schema ??= {}) as Schema;
  if (schema.hide) return;
  const errors = errorResponses(routeRefusals(route));
  schema.response = { ...errors, ...(schema.response ?? {}) };
}
