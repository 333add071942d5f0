// Delivers outbox events (credits.low, credits.exhausted, invoice.finalized,
// any type) to the outbound webhook. At-least-once: an event is claimed with
// a lease, posted with an HMAC signature, then marked delivered, or
// rescheduled with exponential backoff. Receivers dedupe by event id.
import type { Pool } from '../db/pool';
import { defaultBackoff, retryDelayMs, type Backoff } from './backoff';
import { SIGNATURE_HEADER, signPayload } from './signature';

export interface DispatchOptions {
  url: string;
  secret: string;
  fetch?: typeof fetch;
  batchSize?: number;
  /** Per delivery; shorter than the lease so a claimed event is not sent twice at once. */
  timeoutMs?: number;
  /** How long a claimed event stays invisible to other dispatchers. */
  leaseMs?: number;
  backoff?: Backoff;
}

interface Claimed {
  id: number;
  event_id: string;
  workspace_id: string;
  type: string;
  payload: unknown;
  created_at: Date;
  attempts: number;
}

/** One pass: claims due events, delivers them, records the outcome. */
export async function dispatchOnce(pool: Pool, opts: DispatchOptions): Promise<{ delivered: number; failed: number }> {
  const { batchSize = 50, timeoutMs = 10_000, leaseMs = 60_000, backoff = defaultBackoff } = opts;
  const doFetch = opts.fetch ?? fetch;
  const { rows } = await pool.query<Claimed>(
    `UPDATE outbox_events SET attempts = attempts + 1, next_attempt_at = now() + $2 * interval '1 millisecond'
     WHERE id IN (SELECT id FROM outbox_events WHERE delivered_at IS NULL AND next_attempt_at <= now()
                  ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
     RETURNING id, event_id, workspace_id, type, payload, created_at, attempts`,
    [batchSize, leaseMs],
  );
  let delivered = 0;
  let failed = 0;
  for (const event of rows.sort((a, b) => a.id - b.id)) {
    const error = await deliver(doFetch, opts, event, timeoutMs);
    if (error === null) {
      delivered++;
      await pool.query(`UPDATE outbox_events SET delivered_at = now(), last_error = NULL WHERE id = $1`, [event.id]);
    } else {
      failed++;
      await pool.query(
        `UPDATE outbox_events SET next_attempt_at = now() + $2 * interval '1 millisecond', last_error = $3 WHERE id = $1`,
        [event.id, retryDelayMs(event.attempts, backoff), error.slice(0, 500)],
      );
    }
  }
  return { delivered, failed };
}

/** null on a 2xx answer, else why it failed. */
async function deliver(doFetch: typeof fetch, opts: DispatchOptions, event: Claimed, timeoutMs: number): Promise<string | null> {
  const body = JSON.stringify({
    id: event.event_id,
    type: event.type,
    workspaceId: event.workspace_id,
    createdAt: event.created_at.toISOString(),
    data: event.payload,
  });
  try {
    const res = await doFetch(opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signPayload(opts.secret, body, Math.floor(Date.now() / 1000)),
        'x-billing-event-id': event.event_id,
        'x-billing-event-type': event.type,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

export interface DispatcherHandle {
  stop(): Promise<void>;
}

/** Runs dispatchOnce until stopped: immediately again after a full batch, else every intervalMs. */
export function startDispatcher(
  pool: Pool,
  opts: DispatchOptions & { intervalMs?: number; onError?: (err: unknown) => void },
): DispatcherHandle {
  const { intervalMs = 1_000, batchSize = 50, onError = (err) => console.error('notify dispatcher:', err) } = opts;
  let stopped = false;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopped) {
      let full = false;
      try {
        const { delivered, failed } = await dispatchOnce(pool, { ...opts, batchSize });
        full = delivered + failed >= batchSize;
      } catch (err) {
        onError(err);
      }
      if (!full && !stopped) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, intervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
  };
}
