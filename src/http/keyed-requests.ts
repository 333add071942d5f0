// Idempotency-Key handling of lifecycle writes: the same key with the same
// request gets the first successful answer (from Postgres, header
// `Idempotent-Replayed: true`), with another request a 409
// `idempotency_conflict`. Until a success is stored, a repeat asks the
// workflow again under the same update id, which Temporal and the workflow
// answer with the first outcome.
import type { FastifyReply } from 'fastify';
import type { Pool } from '../db/pool';
import { claimRequestKey, recordAnswer, requestHash, type KeyedRequest } from '../idempotency/request-keys';
import { CodedError } from '../domain/failure-codes';

export interface KeyedCall<T> {
  /** Route pattern, e.g. `POST /v1/workspaces/:id/plan`. */
  route: string;
  workspaceId: string;
  /** The client's key; without one the request simply runs. */
  key: string | undefined;
  /** Everything the answer depends on besides route and workspace (normalized path params, body). */
  request: unknown;
  /** Status of a success. */
  status: number;
  /** Does the work; `requestId` (key + request hash) names the workflow update, so a repeat joins the first. */
  run: (requestId: string | undefined) => Promise<T>;
}

export function keyedRequests(pool: Pool) {
  return async function answer<T>(reply: FastifyReply, call: KeyedCall<T>): Promise<FastifyReply> {
    if (call.key === undefined) return reply.status(call.status).send(await call.run(undefined));
    const hash = requestHash(call.route, call.workspaceId, call.request);
    const keyed: KeyedRequest = { workspaceId: call.workspaceId, key: call.key, route: call.route, hash };
    const claim = await claimRequestKey(pool, keyed);
    if (claim.state === 'conflict') {
      throw new CodedError(
        'idempotency_conflict',
        `idempotency key '${call.key}' was already used with another request (${claim.route === call.route ? 'another body' : claim.route}); use a new key for a new request`,
      );
    }
    if (claim.state === 'answered') return reply.header('idempotent-replayed', 'true').status(claim.status).send(claim.body);
    const body = await call.run(`${call.key}:${hash.slice(0, 16)}`);
    await recordAnswer(pool, keyed, call.status, body);
    return reply.status(call.status).send(body);
  };
}
