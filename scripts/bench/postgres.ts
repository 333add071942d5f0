// The Postgres a benchmark runs on: DATABASE_URL's server, or a throwaway
// embedded cluster with production-like durability (fsync on, unlike the
// test clusters). Either way a fresh, migrated database per run.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';
import { migrateUp } from '../../src/db/migrate';
import { freePort } from '../../test/setup/free-port';

export { freePort };

export interface BenchDatabase {
  databaseUrl: string;
  /** Where it runs and its server version, for the report. */
  description: string;
  stop(): Promise<void>;
}

export async function benchDatabase(): Promise<BenchDatabase> {
  const stops: Array<() => Promise<void>> = [];
  let adminUrl = process.env.DATABASE_URL;
  let where = 'DATABASE_URL';
  if (!adminUrl) {
    const root = mkdtempSync(path.join(os.tmpdir(), 'billing-bench-pg-'));
    chmodSync(root, 0o755); // as root, Postgres runs as the `postgres` user and must reach its data dir
    stops.unshift(async () => rmSync(root, { recursive: true, force: true }));
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(root, 'data'), port: await freePort(), persistent: true });
    stops.unshift(() => embedded.stop());
    adminUrl = embedded.adminUrl;
    where = 'embedded throwaway cluster, fsync on';
  }
  const name = `billing_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  await migrateUp(databaseUrl);
  return {
    databaseUrl,
    description: `PostgreSQL ${rows[0]!.server_version} (${where})`,
    stop: async () => {
      for (const s of stops) await s().catch((err: unknown) => console.error('bench postgres stop:', err));
    },
  };
}
