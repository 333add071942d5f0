// The workspace export (rule 12) as a stream of JSON text: usage and ledger
// rows come from Postgres cursors (pg-query-stream) and leave as they arrive,
// so memory stays flat however many rows a workspace has.
import QueryStream from 'pg-query-stream';
import type { PoolClient } from '../db/pool';

/** Rows are joined into chunks of about this many characters (fewer, larger writes). */
const CHUNK_CHARS = 64 * 1024;

const usageSql = `
SELECT at, member_id AS "memberId", action, feature, tokens, credits
FROM usage_events WHERE workspace_id = $1 ORDER BY id DESC`;

const ledgerSql = `
SELECT created_at AS at, kind, bucket, amount, term_index AS "termIndex", reason
FROM credit_ledger WHERE workspace_id = $1 ORDER BY id`;

/** A JSON array of the query's rows, in chunks. */
async function* jsonArray(client: PoolClient, sql: string, workspaceId: string): AsyncGenerator<string> {
  let chunk = '[';
  let first = true;
  for await (const row of client.query(new QueryStream(sql, [workspaceId], { batchSize: 1000 }))) {
    chunk += (first ? '' : ',') + JSON.stringify(row);
    first = false;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}]`;
}

/**
 * `{exportedAt, workspace, usage, ledger, invoices}` as JSON text. `head` is
 * what was read before streaming (the workspace and its invoices, few rows).
 * The client's transaction must be open; it is committed before the last chunk.
 */
export async function* workspaceExportJson(
  client: PoolClient,
  workspaceId: string,
  head: { workspace: unknown; invoices: unknown[] },
  exportedAt: number = Date.now(),
): AsyncGenerator<string> {
  yield `{"exportedAt":${JSON.stringify(new Date(exportedAt).toISOString())},"workspace":${JSON.stringify(head.workspace)},"usage":`;
  yield* jsonArray(client, usageSql, workspaceId);
  yield ',"ledger":';
  yield* jsonArray(client, ledgerSql, workspaceId);
  await client.query('COMMIT');
  yield `,"invoices":${JSON.stringify(head.invoices)}}`;
}
