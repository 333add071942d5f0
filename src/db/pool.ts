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

export function createPool(connectionString: string, max = 20): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client losing its server (restart, Ctrl-C reaching Postgres first)
  // must not crash the process; the pool replaces it on next use.
  pool.on('error', (err) => console.error(`postgres pool: idle client error: ${err.message}`));
  return pool;
}

/** Runs `fn` in one transaction, rolling back on any error. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
