import { runner } from 'node-pg-migrate';
import path from 'node:path';
import { projectRoot } from '../state-dir';

export const migrationsDir = path.join(projectRoot, 'src', 'db', 'migrations');

/** Applies every pending migration (SQL files in src/db/migrations) under an advisory lock. */
export async function migrateUp(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    log,
    verbose: false,
  });
  return applied.map((m) => m.name);
}

export async function migrateDownAll(databaseUrl: string): Promise<string[]> {
  const reverted = await runner({
    databaseUrl,
    dir: migrationsDir,
    direction: 'down',
    count: Infinity,
    migrationsTable: 'pgmigrations',
    log: () => undefined,
  });
  return reverted.map((m) => m.name);
}
