// Durable idempotency keys of lifecycle writes (table request_keys, migration
// 0006): a key is bound to the first request it came with and, once that
// succeeded, to its answer. Kept REQUEST_KEY_RETENTION_DAYS from first use
// (Stripe keeps its keys 24 h), then pruned by age.
import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool';
import { canonicalJson } from '../domain/canonical-json';

export const REQUEST_KEY_RETENTION_DAYS = 30;
const RETENTION = `interval '${REQUEST_KEY_RETENTION_DAYS} days'`;
/** Expired keys are deleted at most this often per process, by the next keyed request. */
const PRUNE_EVERY_MS = 3_600_000;

/** What a key is bound to: the route, the workspace and the canonical request (params and body). */
export function requestHash(route: string, workspaceId: string, request: unknown): string {
  return createHash('sha256').update(canonicalJson({ route, workspaceId, request })).digest('hex');
}

export interface KeyedRequest {
  workspaceId: string;
  key: string;
  route: string;
  hash: string;
}

export type KeyClaim =
  | { state: 'new' }
  /** The same request came before and succeeded: its answer. */
  | { state: 'answered'; status: number; body: unknown }
  /** The key belongs to another request (another route, workspace or body). */
  | { state: 'conflict'; route: string };

interface KeyRow {
  route: string;
  request_hash: string;
  answer_status: number | null;
  answer_body: unknown;
}

let lastPrunedAt = 0;

/**
 * Binds `key` to this request unless it is already bound (an expired binding
 * is replaced), and says what an earlier use left.
 */
export async function claimRequestKey(pool: Pool, r: KeyedRequest): Promise<KeyClaim> {
  if (Date.now() - lastPrunedAt > PRUNE_EVERY_MS) {
    lastPrunedAt = Date.now();
    await pruneRequestKeys(pool);
  }
  const { rows } = await pool.query<KeyRow>(
    `INSERT INTO request_keys AS k (workspace_id, key, route, request_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (workspace_id, key) DO UPDATE
       SET route = EXCLUDED.route, request_hash = EXCLUDED.request_hash, answer_status = NULL, answer_body = NULL,
           created_at = now(), answered_at = NULL
       WHERE k.created_at < now() - ${RETENTION}
     RETURNING route, request_hash, answer_status, answer_body`,
    [r.workspaceId, r.key, r.route, r.hash],
  );
  if (rows[0]) return { state: 'new' };
  const { rows: held } = await pool.query<KeyRow>(
    `SELECT route, request_hash, answer_status, answer_body FROM request_keys WHERE workspace_id = $1 AND key = $2`,
    [r.workspaceId, r.key],
  );
  const row = held[0];
  if (!row) return claimRequestKey(pool, r); // pruned in between: claim it afresh
  if (row.request_hash !== r.hash) return { state: 'conflict', route: row.route };
  return row.answer_status === null ? { state: 'new' } : { state: 'answered', status: row.answer_status, body: row.answer_body };
}

/** Stores the successful answer of a claimed key (the first one stored wins). */
export async function recordAnswer(pool: Pool, r: KeyedRequest, status: number, body: unknown): Promise<void> {
  await pool.query(
    `UPDATE request_keys SET answer_status = $4, answer_body = $5, answered_at = now()
     WHERE workspace_id = $1 AND key = $2 AND request_hash = $3 AND answer_status IS NULL`,
    [r.workspaceId, r.key, r.hash, status, JSON.stringify(body)],
  );
}

/** Deletes keys older than the retention; returns how many. */
export async function pruneRequestKeys(pool: Pool): Promise<number> {
  const { rowCount } = await pool.query(`DELETE FROM request_keys WHERE created_at < now() - ${RETENTION}`);
  return rowCount ?? 0;
}
