// The ops CLI finds a second `npm start` on moved ports with nothing but the
// variables that moved it (PORT, TEMPORAL_DEV_PORT, TEMPORAL_UI_PORT,
// BILLING_STATE_DIR): no URL, no token, no Temporal address given
// (src/config/addresses.ts resolves them for both). Run as `npm run -s cli --`
// (-s: npm prints no banner, so --json output is JSON only), from a folder
// of the user's choosing, where its files land.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { apiClient, workspaceBody } from '../helpers/http';
import { launch, startEnv, type Started, type StartEnv } from '../helpers/npm-start';
import { uniqueId } from '../helpers/workspaces';

const run = promisify(execFile);
let at: StartEnv;
let started: Started;
const id = uniqueId('cli-moved');
const payer = uniqueId('cli-moved-payer');
// A folder inside the checkout (npm finds package.json above it), git-ignored.
const userFolder = path.join(projectRoot, 'test-artifacts', `cli-npm-start-${process.pid}`);

beforeAll(async () => {
  at = await startEnv();
  started = await launch(at.env, 'launcher');
  const call = apiClient(`http://127.0.0.1:${at.ports.PORT}`, started.banner['API token']!);
  expect((await call('POST', '/v1/workspaces', { body: workspaceBody(id) })).status).toBe(201);
  expect((await call('POST', '/v1/workspaces', { body: workspaceBody(payer) })).status).toBe(201);
  expect((await call('PUT', `/v1/workspaces/${payer}/payment-method`, { body: { paymentMethod: 'pm_card_visa' } })).status).toBe(200);
  mkdirSync(userFolder, { recursive: true });
});
afterAll(async () => {
  if (started && started.child.exitCode === null) {
    process.kill(-started.child.pid!, 'SIGTERM');
    await started.exited;
  }
  at?.remove();
  rmSync(userFolder, { recursive: true, force: true });
});

/** The CLI with only what `npm start` was given: the state folder and the moved ports. */
async function cli(...args: string[]): Promise<string> {
  return cliIn(projectRoot, ...args);
}

async function cliIn(cwd: string, ...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const name of ['BILLING_STATE_DIR', 'PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT'] as const) env[name] = at.env[name];
  const { stdout } = await run('npm', ['run', '-s', 'cli', '--', ...args], { cwd, env });
  return stdout;
}

describe('npm run cli against npm start on moved ports', () => {
  it('show reaches the API (token from the state folder) and links the moved Temporal UI', async () => {
    const shown = JSON.parse(await cli('--json', 'show', id));
    expect(shown.workspace).toMatchObject({ id, plan: 'free', status: 'active' });
    expect(shown.workspaceUrl).toBe(`http://127.0.0.1:${at.ports.TEMPORAL_UI_PORT}/namespaces/default/workflows?query=BillingWorkspaceId%3D%22${id}%22`);
    expect((await fetch(shown.workspaceUrl)).status).toBe(200); // the UI answers there
    expect(JSON.parse(await cli('--json', 'invoices', id))).toEqual([]);
  });

  it("show in words; invoices and invoice-pdf by number, the PDF written in the user's folder", async () => {
    const shown = await cli('show', id);
    expect(shown).toMatch(/^balance +25 credits \(plan 25, purchased 0\)$/m);
    expect(shown).toMatch(/^overage +off \(0 used\)$/m);
    expect(shown).not.toMatch(/[{}]/); // words, not raw JSON

    const bought = JSON.parse(await cli('--json', 'purchase', payer, '100', '--key', 'cli-moved-buy'));
    expect(bought).toMatchObject({ status: 'paid', invoiceNumber: expect.stringMatching(/^INV-\d{4}-\d{6}$/) });
    const listed = JSON.parse(await cli('--json', 'invoices', payer));
    expect(listed).toEqual([expect.objectContaining({ number: bought.invoiceNumber, kind: 'credit_purchase', status: 'paid', totalCents: bought.totalCents })]);

    const written = JSON.parse(await cliIn(userFolder, '--json', 'invoice-pdf', bought.invoiceNumber));
    expect(written).toEqual({ file: path.join(userFolder, `${bought.invoiceNumber}.pdf`) });
    expect(readFileSync(written.file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('list reaches the moved Temporal frontend', async () => {
    // This instance's two workspaces, and nothing of another instance's.
    const listed = (rows: Array<{ workspace: string }>) => [...rows].sort((a, b) => a.workspace.localeCompare(b.workspace));
    const expected = [id, payer].sort().map((workspace) => expect.objectContaining({ workspace, plan: 'free', status: 'active' }));
    await vi.waitFor(async () => expect(listed(JSON.parse(await cli('--json', 'list')))).toEqual(expected), {
      timeout: 30_000,
      interval: 500,
    });
  });
});
