import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CodedError } from '../domain/failure-codes';

export interface ApiTokens {
  /** Full access. */
  api: string;
  /** Read-only (finance/ops): GET and HEAD only. */
  read: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false for routes that authenticate otherwise (webhooks) or are public (health, metrics, docs). */
    auth?: boolean;
  }
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Bearer-token check: 401 without a valid token, 403 for the read token on a write. */
export function authenticate(tokens: ApiTokens, req: FastifyRequest): void {
  if (req.routeOptions.config.auth === false) return;
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new CodedError('unauthorized', 'missing bearer token: send Authorization: Bearer <token>');
  const token = match[1]!;
  if (same(token, tokens.api)) return;
  if (same(token, tokens.read)) {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    throw new CodedError('forbidden', 'the read-only token cannot change anything');
  }
  throw new CodedError('unauthorized', 'invalid bearer token');
}
