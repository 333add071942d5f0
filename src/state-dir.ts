import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the checkout (this file lives in src/). */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where embedded Postgres, the dev server's database, tools and tokens live. */
export function stateDir(): string {
  return path.resolve(projectRoot, process.env.BILLING_STATE_DIR ?? '.state');
}

export interface ToolPaths {
  temporalTestServer: string | null;
  temporalCli: string | null;
  stripeMock: string | null;
  /** The API fuzzer (test/e2e/schemathesis.test.ts); absent in manifests written before it was pinned. */
  schemathesis?: string | null;
  chromium: string;
  pdftoppm: string;
  /** libfaketime's preload library (`npm run simulate`); absent from an older tools.json. */
  faketime?: string | null;
}

/** Binaries found or installed by scripts/tools.mjs. */
export function toolPaths(): ToolPaths {
  const file = path.join(stateDir(), 'tools', 'tools.json');
  let tools: ToolPaths;
  try {
    tools = JSON.parse(readFileSync(file, 'utf8')) as ToolPaths;
  } catch {
    throw new Error(`${file} is missing: run \`npm run tools\` first`);
  }
  // A tools folder shared between checkouts can name a binary another state folder installed and then removed.
  for (const name of ['temporalTestServer', 'temporalCli', 'stripeMock'] as const) {
    const bin = tools[name];
    if (bin && !existsSync(bin)) throw new Error(`${file} names ${name} at ${bin}, which does not exist: run \`npm run tools\` again`);
  }
  return tools;
}
