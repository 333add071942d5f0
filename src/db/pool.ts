import pg from 'pg';

// bigint (int8) sums come back as strings by default; our amounts fit in a
// JS safe integer, so parse them as numbers (and fail loudly if not).
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 ${v} exceeds the safe integer range`);
  return n;
});

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

export interface PoolOptions {
  /**
   * How long a request may wait for a connection (a new one, or a free one
   * when all are busy) before it fails; while Postgres is down or restarting,
   * requests fail within this time instead of hanging.
   */
  connectionTimeoutMillis?: number;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;

export function createPool(connectionString: string, max = 20, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: opts.connectionTimeoutMillis ?? DEFAULT_CONNECTION_TIMEOUT_MS });
  // An idle client losing its server (restart, Ctrl-C reaching Postgres first)
  // must not crash the process; the pool replaces it on next use.
  pool.on('error', (err) => console.error(`postgres pool: idle client error: ${err.message}`));
  return pool;
}

/**
 * Ends the pool and waits until its connections are closed: pg-pool's end()
 * resolves once it has asked each client to end, before their sockets close,
 * so a Postgres stopped right after would kill connections still closing.
 */
export async function endPool(pool: pg.Pool, timeoutMs = 5_000): Promise<void> {
  let open = pool.totalCount;
  const closed = new Promise<void>((resolve) => {
    if (open === 0) resolve();
    pool.on('remove', () => {
      if (--open <= 0) resolve();
    });
  });
  await pool.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

/** Runs `fn` in one transaction, rolling back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // When its connection fails (Postgres stopped, crashed or restarting), a
  // client emits 'error' besides failing the running statement. While checked
  // out it has no pool listener, so without this one the event would be an
  // uncaught exception that crashes the process. The failed client is
  // released with its error, so the pool discards it.
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    // A connection that could not roll back is not reused.
    if (!rolledBack) lost ??= err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}
