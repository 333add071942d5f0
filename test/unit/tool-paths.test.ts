// toolPaths() refuses a tools.json that names a binary which is gone (a tools
// folder shared between checkouts, rewritten by one with another state
// folder), with the fix in the message, instead of a spawn ENOENT later.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toolPaths } from '../../src/state-dir';

const saved = process.env.BILLING_STATE_DIR;
let dir: string | undefined;
afterEach(() => {
  if (saved === undefined) delete process.env.BILLING_STATE_DIR;
  else process.env.BILLING_STATE_DIR = saved;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function stateWith(tools: Record<string, string | null>): void {
  dir = mkdtempSync(path.join(os.tmpdir(), 'tool-paths-'));
  mkdirSync(path.join(dir, 'tools'));
  writeFileSync(path.join(dir, 'tools', 'tools.json'), JSON.stringify(tools));
  process.env.BILLING_STATE_DIR = dir;
}

describe('toolPaths', () => {
  it('names the missing binary and the command that fixes it', () => {
    stateWith({ temporalTestServer: '/nonexistent/temporal-test-server', temporalCli: null, stripeMock: null, chromium: 'x', pdftoppm: 'y' });
    expect(() => toolPaths()).toThrow(/temporalTestServer at \/nonexistent\/temporal-test-server, which does not exist: run `npm run tools` again/);
  });

  it('answers the recorded paths when they exist', () => {
    stateWith({ temporalTestServer: process.execPath, temporalCli: null, stripeMock: process.execPath, chromium: 'x', pdftoppm: 'y' });
    expect(toolPaths()).toMatchObject({ temporalTestServer: process.execPath, stripeMock: process.execPath });
  });
});
