// `npm install` on a clean clone leaves the tree clean and warns no
// EBADENGINE, on every Node version package.json's engines admit: the
// lockfile is what npm 10 (Node 22) and npm 11 (Node 24) both write back
// unchanged, and every dependency runs on the oldest Node we claim.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';

interface LockEntry {
  version?: string;
  optional?: boolean;
  engines?: { node?: string };
  libc?: string[];
}
const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
const lockText = readFileSync(path.join(projectRoot, 'package-lock.json'), 'utf8');
const lock = JSON.parse(lockText) as { packages: Record<string, LockEntry> };

/** The oldest version of each range of the engines field (^20.19.0 || ^22.13.0 || >=24 -> 20.19.0, 22.13.0, 24.0.0). */
const oldestAdmitted = pkg.engines.node.split('||').map((range) => semver.minVersion(range.trim())!.version);

describe('package.json engines and package-lock.json', () => {
  it('engines: Node 20.19+, 22.13+ and 24+ (the lines our dependencies support)', () => {
    expect(oldestAdmitted).toEqual(['20.19.0', '22.13.0', '24.0.0']);
    expect(semver.satisfies('23.0.0', pkg.engines.node)).toBe(false);
  });

  it('every dependency npm installs runs on the oldest version of each admitted line (no EBADENGINE)', () => {
    const refused = oldestAdmitted.flatMap((node) =>
      Object.entries(lock.packages)
        // Optional platform binaries are skipped where they do not apply; a required one must fit.
        .filter(([name, e]) => name !== '' && !e.optional && e.engines?.node && !semver.satisfies(node, e.engines.node))
        .map(([name, e]) => `${name}@${e.version} wants node ${e.engines!.node}, not ${node}`),
    );
    expect(refused).toEqual([]);
  });

  it('holds no libc fields: npm 10 drops them and npm 11 adds none to a lockfile without them', () => {
    expect(Object.entries(lock.packages).filter(([, e]) => e.libc).map(([name]) => name)).toEqual([]);
  });

  it('is written back byte for byte by `npm install --package-lock-only`', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'billing-lock-'));
    try {
      for (const f of ['package.json', 'package-lock.json']) copyFileSync(path.join(projectRoot, f), path.join(dir, f));
      execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe' });
      expect(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')).toBe(lockText);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
