import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrateDownAll, migrateUp } from '../../src/db/migrate';

const url = inject('emptyDatabaseUrl');
let client: pg.Client;

async function tables(): Promise<string[]> {
  const { rows } = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
  );
  return rows.map((r) => r.table_name);
}

beforeAll(async () => {
  client = new pg.Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

describe('migrations against the real Postgres', () => {
  it('apply on an empty database, are idempotent, and roll back cleanly', async () => {
    expect(await tables()).toEqual([]);
    const applied = await migrateUp(url);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied[0]).toBe('0001_workspaces');
    expect(await tables()).toContain('workspaces');

    expect(await migrateUp(url)).toEqual([]); // nothing pending the second time

    const reverted = await migrateDownAll(url);
    expect(reverted).toEqual([...applied].reverse());
    expect(await tables()).toEqual(['pgmigrations']);
    await migrateUp(url); // leave it migrated for anyone else
  });

  it('enforces the read model constraints', async () => {
    const insert = (id: string, start: string, end: string) =>
      client.query(
        `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
         VALUES ($1, 'n', 'a@b.c', '{"country":"US"}', 'free', $2, $2, $3)`,
        [id, start, end],
      );
    await insert('ws-ok', '2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z');
    await expect(insert('bad id!', '2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z')).rejects.toThrow(/check constraint/);
    await expect(insert('ws-2', '2025-02-28T00:00:00Z', '2025-01-31T00:00:00Z')).rejects.toThrow(/check constraint/);
    await client.query(`DELETE FROM workspaces`);
  });
});
