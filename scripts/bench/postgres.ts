// The Postgres of a benchmark: DATABASE_URL, else a throwaway embedded cluster
// with production-like durability (fsync on, unlike the test clusters); a
// fresh, migrated database in it for this run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrateUp } from '../../src/db/migrate';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function createDatabase(adminUrl: string): Promise<string> {
  const name = `billing_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabase {
  url: string;
  /** Where it runs, for the report. */
  info: string;
  /** `SHOW server_version`. */
  version: string;
}

/** Starts (or connects to) Postgres and creates a migrated database; what to stop goes into `cleanups` (run in order). */
export async function benchDatabase(cleanups: Array<() => Promise<void>>): Promise<BenchDatabase> {
  let adminUrl = process.env.DATABASE_URL;
  let info = 'DATABASE_URL';
  if (!adminUrl) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'billing-bench-pg-'));
    chmodSync(root, 0o755); // as root, Postgres runs as the `postgres` user and must reach its data dir
    cleanups.unshift(async () => rmSync(root, { recursive: true, force: true }));
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(root, 'data'), port: await freePort(), persistent: true });
    cleanups.unshift(() => embedded.stop());
    adminUrl = embedded.adminUrl;
    info = 'embedded throwaway cluster, fsync on';
  }
  const url = await createDatabase(adminUrl);
  await migrateUp(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
  await client.end();
  return { url, info, version: rows[0]?.server_version ?? 'unknown' };
}
