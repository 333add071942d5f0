// Which errors mean "Postgres cannot be reached right now" (the server is
// down, restarting, shutting down, or the connection broke) as opposed to a
// bug or a bad statement. The HTTP layer answers the first kind with 503 and
// Retry-After: the transaction that failed was rolled back by Postgres, so a
// retry with the same idempotency key is safe.

/** Node socket errors on the way to the server. ENOTFOUND (a wrong host name) is configuration, not an outage. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * SQLSTATEs of a server that is going away or not accepting connections:
 * 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now
 * (starting up, shutting down, in recovery), 53300 too_many_connections.
 * Class 08 (connection exception) is matched as a class.
 */
const SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages node-postgres and its pool use for a lost or impossible connection (they carry no code). */
const PG_MESSAGES = [
  /^Connection terminated/, // "... unexpectedly", "... due to connection timeout", or while ending
  /^timeout exceeded when trying to connect$/, // the pool's connectionTimeoutMillis
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Connecting to "localhost" tries every address and may fail with all of them.
  if (err instanceof AggregateError && err.errors.length > 0 && err.errors.every(isDatabaseUnavailable)) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (SOCKET_CODES.has(code) || SQLSTATES.has(code)) return true;
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  return PG_MESSAGES.some((re) => re.test(err.message));
}
