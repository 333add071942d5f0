// Every environment variable the service reads is passed by
// docker-compose.yml (except the embedded-only ports) and documented in
// README.md, so the three never drift apart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { projectRoot } from '../../src/state-dir';

const read = (file: string) => readFileSync(path.join(projectRoot, file), 'utf8');

/** Names read through the config modules' helpers (opt, int, portFromEnv, set, urlFromEnv) or process.env. */
function variablesRead(): string[] {
  const sources = ['src/config/env.ts', 'src/config/addresses.ts', 'src/config/pricing.ts', 'src/state-dir.ts'].map(read).join('\n');
  const names = [...sources.matchAll(/(?:\b(?:opt|int|portFromEnv)\(|\b(?:set|urlFromEnv)\(env, |process\.env\.)'?([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

// Ports of the embedded Postgres and dev server: compose runs those as containers.
// BILLING_API_URL: where the ops CLI finds the API, not read by the service.
const EMBEDDED_ONLY = ['EMBEDDED_PG_PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT', 'BILLING_API_URL'];

describe('deployment configuration', () => {
  it('finds the variables the service reads', () => {
    expect(variablesRead()).toEqual(expect.arrayContaining(['PORT', 'HOST', 'TEMPORAL_UI_PORT', 'TEMPORAL_UI_URL', 'DATABASE_URL', 'STRIPE_SANDBOX_PORT', 'PRICING_CONFIG', 'BILLING_STATE_DIR']));
  });

  it('docker-compose.yml passes every one of them to the service', () => {
    const compose = parse(read('docker-compose.yml')) as { services: Record<string, { environment?: Record<string, string> }> };
    const passed = Object.keys(compose.services.billing?.environment ?? {});
    const expected = variablesRead().filter((v) => !EMBEDDED_ONLY.includes(v));
    expect(expected.filter((v) => !passed.includes(v))).toEqual([]);
  });

  it('README.md documents every one of them', () => {
    const doc = read('README.md');
    expect(variablesRead().filter((v) => !doc.includes(`\`${v}\``))).toEqual([]);
  });
});
