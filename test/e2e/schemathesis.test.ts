// Schemathesis, a tool nobody here wrote, against the API as `npm start`
// serves it: generated from /openapi.json, every check (status codes and
// response schemas as documented, negative data refused, schema-valid data
// accepted, undeclared methods 405, auth enforced, stateful sequences along
// the document's links), a bounded number of examples (schemathesis.toml).
// Any finding fails the test with Schemathesis's report. A seeded workspace
// (with a card and a paid purchase) gives the fuzzed operations an existing
// id and invoice to work on besides the ones they generate.
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot, toolPaths } from '../../src/state-dir';
import { apiClient, workspaceBody } from '../helpers/http';
import { npmStart, type StartedService } from '../helpers/npm-start';
import { uniqueId } from '../helpers/workspaces';

let service: StartedService;
const seeded = { workspaceId: uniqueId('st'), invoiceId: '' };

beforeAll(async () => {
  service = await npmStart();
  const call = apiClient(service.api, service.apiToken);
  const created = await call('POST', '/v1/workspaces', { body: workspaceBody(seeded.workspaceId, { plan: 'pro', paymentMethod: 'pm_card_visa' }) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const bought = await call('POST', `/v1/workspaces/${seeded.workspaceId}/purchases`, { body: { credits: 100, idempotencyKey: 'st-seed' } });
  expect(bought.status, JSON.stringify(bought.body)).toBe(201);
  seeded.invoiceId = bought.body.invoiceId;
}, 240_000);
afterAll(async () => {
  await service?.stop();
}, 90_000);

describe('Schemathesis against npm start', () => {
  it('finds nothing: every check, examples bounded, stateful links included', async () => {
    // SCHEMATHESIS_PATH names another binary, as scripts/tools.mjs honours it.
    const schemathesis = process.env.SCHEMATHESIS_PATH ?? toolPaths().schemathesis;
    if (!schemathesis) throw new Error('schemathesis is not installed: run `npm run tools`');
    const seed = process.env.ST_SEED ?? String(randomInt(1, 2 ** 31));
    const args = [
      '--config-file', path.join(projectRoot, 'schemathesis.toml'),
      'run', `${service.api}/openapi.json`,
      '--checks', 'all',
      '--seed', seed,
      // One worker: Python 3.11 can fail compiling generated code in parallel threads ("AST constructor recursion depth mismatch").
      '--workers', '1',
      '--no-color',
      '--report-dir', path.join(projectRoot, 'test-artifacts', 'schemathesis'),
      '--report', 'junit',
    ];
    // schemathesis.toml reads the token and the seeded ids from these.
    const env = { ...process.env, BILLING_API_TOKEN: service.apiToken, ST_WORKSPACE_ID: seeded.workspaceId, ST_INVOICE_ID: seeded.invoiceId };
    const result = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(schemathesis, args, { cwd: projectRoot, env, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: `${stdout}\n${stderr}` }),
      );
    });
    const summary = result.out.slice(Math.max(0, result.out.lastIndexOf('SUMMARY') - 40));
    console.log(`schemathesis, seed ${seed}:\n${summary}`);
    // On a finding, the report says what and how to reproduce it (ST_SEED=<seed> runs it again).
    expect(result.code, `schemathesis (seed ${seed}) found something:\n${result.out.slice(0, 30_000)}`).toBe(0);
    expect(summary).toMatch(/Test cases:\s+\d+ generated, \d+ passed/);
    // Every phase ran and passed: the documented examples, the coverage of each schema, fuzzing, and sequences along links.
    for (const phase of ['Examples', 'Coverage', 'Fuzzing', 'Stateful']) expect(summary).toMatch(new RegExp(`✅ ${phase}`));
  }, 480_000);
});
