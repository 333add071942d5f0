// Which errors are "Postgres is unavailable" (503 + Retry-After) and which stay
// bugs (500). The real driver's errors are checked against a live outage in
// test/faults/postgres-outage.test.ts.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../src/db/unavailable';
import { buildApp } from '../../src/http/app';

const withCode = (code: string, message = `error ${code}`) => Object.assign(new Error(message), { code });
/** A server error as node-postgres builds it from an ErrorResponse. */
const sqlState = (code: string, message: string) => Object.assign(new pg.DatabaseError(message, 0, 'error'), { code, severity: 'FATAL' });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['ECONNREFUSED (server down)', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET (connection dropped)', withCode('ECONNRESET', 'read ECONNRESET')],
    ['EPIPE', withCode('EPIPE')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['EHOSTUNREACH', withCode('EHOSTUNREACH')],
    ['ENETUNREACH', withCode('ENETUNREACH')],
    ['EAI_AGAIN (DNS temporarily failing)', withCode('EAI_AGAIN')],
    ['localhost refusing on every address', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], '')],
    ['57P01 admin_shutdown', sqlState('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', sqlState('57P02', 'terminating connection because of crash of another server process')],
    ['57P03 cannot_connect_now (starting up)', sqlState('57P03', 'the database system is starting up')],
    ['57P03 cannot_connect_now (shutting down)', sqlState('57P03', 'the database system is shutting down')],
    ['53300 too_many_connections', sqlState('53300', 'sorry, too many clients already')],
    ['08006 connection_failure', sqlState('08006', 'connection failure')],
    ['08001 sqlclient_unable_to_establish_sqlconnection', sqlState('08001', 'could not connect')],
    ['08P01 protocol_violation', sqlState('08P01', 'protocol violation')],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['Connection terminated', new Error('Connection terminated')],
    ['the client connection timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('x') })],
    ['the pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    ['a client broken earlier', new Error('Client has encountered a connection error and is not queryable')],
  ])('%s -> unavailable (503)', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'plan')")],
    ['42601 syntax_error', sqlState('42601', 'syntax error at or near "SELEC"')],
    ['42P01 undefined_table', sqlState('42P01', 'relation "usage_event" does not exist')],
    ['23505 unique_violation', sqlState('23505', 'duplicate key value violates unique constraint')],
    ['40001 serialization_failure', sqlState('40001', 'could not serialize access')],
    ['57014 query_canceled (statement timeout)', sqlState('57014', 'canceling statement due to statement timeout')],
    ['28P01 invalid_password (configuration)', sqlState('28P01', 'password authentication failed for user "postgres"')],
    ['ENOTFOUND (a wrong host name)', withCode('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal')],
    ['the pool used after end()', new Error('Cannot use a pool after calling end on the pool')],
    ['a RangeError from the int8 parser', new RangeError('int8 9007199254740993 exceeds the safe integer range')],
    ['a message merely mentioning a connection', new Error('unexpected state: Connection terminated? no')],
    ['an AggregateError with a bug in it', new AggregateError([withCode('ECONNREFUSED'), new TypeError('x')], '')],
    ['not an Error', { code: 'ECONNREFUSED', message: 'Connection terminated' }],
    ['undefined', undefined],
  ])('%s -> a bug or a refusal, not unavailable', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('the central error handler', () => {
  const appThrowing = (err: unknown) =>
    buildApp({
      tokens: { api: 'full-token', read: 'read-token' },
      routes: [
        (app) => {
          app.get('/v1/boom', async () => {
            throw err;
          });
        },
      ],
    });
  const call = async (err: unknown) => {
    const app = await appThrowing(err);
    try {
      return await app.inject({ method: 'GET', url: '/v1/boom', headers: { authorization: 'Bearer full-token' } });
    } finally {
      await app.close();
    }
  };

  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['57P01 admin_shutdown', sqlState('57P01', 'terminating connection due to administrator command')],
    ['57P03 cannot_connect_now', sqlState('57P03', 'the database system is starting up')],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
    ['the pool checkout timeout', new Error('timeout exceeded when trying to connect')],
  ])('answers %s with 503 database_unavailable and Retry-After', async (_name, err) => {
    const res = await call(err);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(res.json()).toEqual({
      error: { code: 'database_unavailable', message: expect.stringMatching(/database is unavailable.*retry .*same idempotency key/) },
    });
    // the driver's message (addresses, ports) stays in the server log
    expect(res.body).not.toContain(err.message);
  });

  it.each([
    ['a TypeError', new TypeError('x is not a function')],
    ['a SQL syntax error', sqlState('42601', 'syntax error at or near "SELEC"')],
    ['a unique violation', sqlState('23505', 'duplicate key value violates unique constraint')],
  ])('keeps %s a 500 without Retry-After', async (_name, err) => {
    const res = await call(err);
    expect(res.statusCode).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json().error.code).toBe('internal');
  });
});
