// npm run check:model -- --runs N --seed S [--max-commands M] [--progress FILE] [--chunk C]
//                        | --replay '<json>' | --seed S --path P
// Random command sequences against the reference model and the real system
// (test/model). Ends with `model: N sequences, F failures (seed S)` (a
// replay: `(replay)`); exit 1 when F > 0, 2 when the system could not start. With --progress, runs are done in chunks of C sequences (seed
// S + chunk number) and each finished chunk is written to FILE, so a soak
// that was stopped resumes where it was.
import { Command } from 'commander';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type RunningPostgres } from '../src/db/embedded-postgres';
import { migrateUp } from '../src/db/migrate';
import { workflowsPath } from '../src/temporal/worker';
import { bundleWorkflows } from '../test/helpers/bundle';
import { freePort } from '../test/setup/free-port';
import { checkModel, replaySequence, type CheckResult } from '../test/model/run';
import { ModelSystem } from '../test/model/system';

const opts = new Command()
  .option('--runs <n>', 'sequences', (v) => Number(v), 20)
  .option('--seed <n>', 'fast-check seed', (v) => Number(v), Date.now() % 2 ** 31)
  .option('--max-commands <n>', 'commands per sequence after the sign-up', (v) => Number(v), 12)
  .option('--path <path>', 'fast-check path of a failure (with its seed)')
  .option('--replay <json>', 'run one printed sequence')
  .option('--progress <file>', 'resumable soak: finished chunks are recorded here')
  .option('--chunk <n>', 'sequences per chunk with --progress', (v) => Number(v), 25)
  .parse()
  .opts<{ runs: number; seed: number; maxCommands: number; path?: string; replay?: string; progress?: string; chunk: number }>();

const log = (line: string) => console.log(line);

async function database(): Promise<{ url: string; stop: () => Promise<void> }> {
  let admin = process.env.DATABASE_URL;
  let embedded: RunningPostgres | undefined;
  let dataRoot: string | undefined;
  if (!admin) {
    dataRoot = mkdtempSync(path.join(os.tmpdir(), 'check-model-pg-'));
    chmodSync(dataRoot, 0o755); // the postgres user (when run as root) must reach it
    embedded = await startEmbeddedPostgres({ dataDir: path.join(dataRoot, 'data'), port: await freePort(), persistent: false });
    admin = embedded.adminUrl;
  }
  const name = `model_check_${Date.now().toString(36)}_${process.pid}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  await migrateUp(url.toString());
  return {
    url: url.toString(),
    stop: async () => {
      if (embedded) await embedded.stop();
      if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  const db = await database();
  const bundleDir = mkdtempSync(path.join(os.tmpdir(), 'check-model-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows(workflowsPath)).code);
  const sys = await ModelSystem.start(db.url, bundlePath);
  let result: CheckResult = { sequences: 0, failures: 0 };
  const started = Date.now();
  try {
    if (opts.replay) {
      result = await replaySequence(sys, opts.replay);
      if (result.error) log(`model: the sequence diverged: ${result.error}`);
    } else if (opts.progress) {
      const done = new Set(existsSync(opts.progress) ? readFileSync(opts.progress, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).chunk as number) : []);
      const chunks = Math.ceil(opts.runs / opts.chunk);
      for (let i = 0; i < chunks; i++) {
        const runs = Math.min(opts.chunk, opts.runs - i * opts.chunk);
        if (done.has(i)) {
          result.sequences += runs;
          continue;
        }
        const r = await checkModel(sys, { runs, seed: opts.seed + i, maxCommands: opts.maxCommands, log });
        result.sequences += r.sequences;
        result.failures += r.failures;
        appendFileSync(opts.progress, `${JSON.stringify({ chunk: i, seed: opts.seed + i, runs: r.sequences, failures: r.failures, at: new Date().toISOString() })}\n`);
        log(`chunk ${i + 1}/${chunks} (seed ${opts.seed + i}): ${r.sequences} sequences, ${r.failures} failures, ${Math.round((Date.now() - started) / 1000)} s`);
        if (r.failures > 0) break;
      }
    } else {
      result = await checkModel(sys, { runs: opts.runs, seed: opts.seed, maxCommands: opts.maxCommands, ...(opts.path ? { path: opts.path } : {}), log });
    }
  } finally {
    await sys.teardown().catch((err: unknown) => console.error('teardown:', err));
    rmSync(bundleDir, { recursive: true, force: true });
    await db.stop().catch((err: unknown) => console.error('teardown:', err));
  }
  // A replayed sequence was not drawn from a seed.
  log(`model: ${result.sequences} sequences, ${result.failures} failures (${opts.replay ? 'replay' : `seed ${opts.seed}`})`);
  return result.failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
