// Starts what every test run shares: a fresh Postgres database (embedded, or
// on DATABASE_URL when set) with migrations applied, and stripe-mock.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type RunningPostgres } from '../../src/db/embedded-postgres';
import { migrateUp } from '../../src/db/migrate';
import { toolPaths } from '../../src/state-dir';
import { freePort } from './free-port';
import { startStripeMock } from './stripe-mock';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A fresh database for this run, migrated. */
    databaseUrl: string;
    /** A second fresh, empty database for migration tests. */
    emptyDatabaseUrl: string;
    stripeMockPort: number;
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const tools = toolPaths();
  const cleanups: Array<() => Promise<void>> = [];

  let adminUrl = process.env.DATABASE_URL;
  let embedded: RunningPostgres | undefined;
  if (!adminUrl) {
    // A throwaway cluster per run: nothing leaks between runs.
    const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'billing-test-pg-'));
    chmodSync(dataRoot, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'data'), port: await freePort(), persistent: false });
    adminUrl = embedded.adminUrl;
    cleanups.push(async () => {
      await embedded?.stop();
      rmSync(dataRoot, { recursive: true, force: true });
    });
  }

  const suffix = `${Date.now().toString(36)}_${process.pid}`;
  const names = [`billing_test_${suffix}`, `billing_empty_${suffix}`];
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const name of names) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.unshift(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });

  const databaseUrl = withDatabase(adminUrl, names[0]!);
  await migrateUp(databaseUrl);

  if (!tools.stripeMock) throw new Error('stripe-mock is not installed: run `npm run tools`');
  const stripeMock = await startStripeMock(tools.stripeMock, await freePort());
  cleanups.unshift(() => stripeMock.stop());

  project.provide('databaseUrl', databaseUrl);
  project.provide('emptyDatabaseUrl', withDatabase(adminUrl, names[1]!));
  project.provide('stripeMockPort', stripeMock.port);

  return async () => {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => console.error('teardown:', err));
  };
}
