// The ops CLI finds a second `npm start` on moved ports with nothing but the
// variables that moved it (PORT, TEMPORAL_DEV_PORT, TEMPORAL_UI_PORT,
// BILLING_STATE_DIR): no URL, no token, no Temporal address given
// (src/config/addresses.ts resolves them for both).
import { execFile } from 'node:child_process';
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

beforeAll(async () => {
  at = await startEnv();
  started = await launch(at.env, 'launcher');
  const call = apiClient(`http://127.0.0.1:${at.ports.PORT}`, started.banner['API token']!);
  expect((await call('POST', '/v1/workspaces', { body: workspaceBody(id) })).status).toBe(201);
});
afterAll(async () => {
  if (started && started.child.exitCode === null) {
    process.kill(-started.child.pid!, 'SIGTERM');
    await started.exited;
  }
  at?.remove();
});

/** The CLI with only what `npm start` was given: the state folder and the moved ports. */
async function cli(...args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  for (const name of ['BILLING_STATE_DIR', 'PORT', 'TEMPORAL_DEV_PORT', 'TEMPORAL_UI_PORT'] as const) env[name] = at.env[name];
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: projectRoot, env });
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

  it('list reaches the moved Temporal frontend', async () => {
    await vi.waitFor(async () => expect(JSON.parse(await cli('--json', 'list'))).toEqual([expect.objectContaining({ workspace: id, plan: 'free', status: 'active' })]), {
      timeout: 30_000,
      interval: 500,
    });
  });
});
