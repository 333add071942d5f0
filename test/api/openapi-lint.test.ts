// The OpenAPI document the app serves, linted by a tool nobody here wrote:
// Redocly CLI with the project's redocly.yaml (recommended-strict: every
// warning fails). The document is the one /openapi.json answers, built from
// the route schemas the server validates with.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { API_TOKENS, apiOnInject } from '../helpers/api-app';
import { injectClient } from '../helpers/inject-client';
import { testPool } from '../helpers/ledger';

const run = promisify(execFile);
const pool = testPool(1);
let dir: string;
let doc: { paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>> };

beforeAll(async () => {
  const call = injectClient(await apiOnInject(pool), API_TOKENS.api);
  doc = (await call('GET', '/openapi.json', { token: null })).body;
  dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-lint-'));
  writeFileSync(path.join(dir, 'openapi.json'), JSON.stringify(doc));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('the OpenAPI document', () => {
  it('passes redocly lint (recommended-strict, redocly.yaml)', async () => {
    const bin = path.join(projectRoot, 'node_modules', '.bin', 'redocly');
    const args = ['lint', path.join(dir, 'openapi.json'), '--config', path.join(projectRoot, 'redocly.yaml'), '--format', 'json'];
    const result = await run(bin, args, { cwd: projectRoot, maxBuffer: 16 * 1024 * 1024 }).catch((err: { code?: number; stdout?: string; stderr?: string }) => err);
    const report = JSON.parse(result.stdout ?? '{}') as { totals?: { errors: number; warnings: number }; problems?: unknown[] };
    expect(report.problems ?? [], result.stderr).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 120_000);

  it('names every operation, and every operation answers a 4xx in the Error shape', () => {
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${p}`).toMatch(/^[a-z][A-Za-z]+$/);
        const errors = Object.keys(op.responses).filter((s) => s.startsWith('4') || s.startsWith('5'));
        expect(errors.length, `${method} ${p}`).toBeGreaterThan(0);
      }
    }
  });
});
