// Global setup of the tiers that use Postgres: a fresh database (embedded, or
// on DATABASE_URL when set) with migrations applied, and a second, empty one
// for the migration tests. One per run, shared by the tiers (./shared-once).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrateUp } from '../../src/db/migrate';
import { freePort } from './free-port';
import { sharedOnce, type Started } from './shared-once';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh database for this run, migrated. */
    databaseUrl: string;
    /** A second fresh, empty database for migration tests. */
    emptyDatabaseUrl: string;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function startDatabases(): Promise<Started<{ databaseUrl: string; emptyDatabaseUrl: string }>> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error('teardown:', err));
  };
  try {
    let adminUrl = process.env.DATABASE_URL;
    let embedded: RunningPostgres | undefined;
    if (!adminUrl) {
      // A throwaway cluster per run: nothing leaks between runs.
      const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'billing-test-pg-'));
      chmodSync(dataRoot, 0o755);
      cleanups.push(async () => {
        await embedded?.stop();
        rmSync(dataRoot, { recursive: true, force: true });
      });
      embedded = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'data'), port: await freePort(), persistent: false });
      adminUrl = embedded.adminUrl;
    }

    const suffix = `${Date.now().toString(36)}_${process.pid}`;
    const names = [`billing_test_${suffix}`, `billing_empty_${suffix}`];
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = adminUrl;
    cleanups.unshift(async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    });

    const databaseUrl = withDatabase(adminUrl, names[0]!);
    await migrateUp(databaseUrl);
    return { value: { databaseUrl, emptyDatabaseUrl: withDatabase(adminUrl, names[1]!) }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export default async function setup(project: TestProject) {
  const { value, release } = await sharedOnce('postgres', startDatabases);
  project.provide('databaseUrl', value.databaseUrl);
  project.provide('emptyDatabaseUrl', value.emptyDatabaseUrl);
  return release;
}
