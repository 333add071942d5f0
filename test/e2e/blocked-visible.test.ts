// Trouble visible to ops, on the Temporal dev server with the real `temporal`
// CLI: a workspace whose step is blocked (Stripe refuses to create its
// customer, a failure no retry fixes) is found by
// `temporal workflow list --query 'BillingBlocked = true'`, with the reason in
// its current details; once ops fixed the cause and asked for a retry
// (`temporal workflow update execute --name retryBlockedStep`), the step goes
// through and the query finds it no more. Also in visibility: a refused
// sign-up is listed as `BillingStatus = 'signup_failed'` (a purged workspace
// is 'deleted': test/workflow/ops-visibility.test.ts, a purge being 30 days
// away); after a renewal's continue-as-new the new run's current details
// still open with the workspace (its static summary does not survive the
// continue-as-new: SDK 1.24 cannot set it there).
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { anchorWithTermEndingAt } from '../../src/domain/terms';
import { toolPaths } from '../../src/state-dir';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingBlocked, BillingTermEnd } from '../../workflows/search-attributes';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

const run = promisify(execFile);
let stack: Stack;
/** The API's side, waiting as long as the API does (a refused sign-up takes several activities on a loaded machine). */
let workflows: BillingWorkflows;
/** The same with a short wait: a blocked sign-up answers 503 still_processing soon. */
let impatient: BillingWorkflows;

beforeAll(async () => {
  stack = await startStack();
  workflows = new BillingWorkflows(stack.client, stack.temporal.taskQueue);
  impatient = new BillingWorkflows(stack.client, stack.temporal.taskQueue, { requestTimeoutMs: 2_000 });
});
afterAll(async () => {
  await stack?.stop();
});

/** The Temporal CLI as ops run it against this dev server. */
async function temporal(...args: string[]): Promise<string> {
  const { stdout } = await run(toolPaths().temporalCli!, [...args, '--address', stack.temporal.address, '--namespace', stack.temporal.namespace]);
  return stdout;
}

/** Workflow ids `temporal workflow list --query <query>` prints. */
async function listed(query: string): Promise<string[]> {
  const out = await temporal('workflow', 'list', '--query', query, '--output', 'json');
  const rows = JSON.parse(out.trim() || '[]') as Array<{ execution: { workflowId: string } }>;
  return rows.map((r) => r.execution.workflowId);
}

/** Visibility is eventually consistent: asks again until `check` holds (bounded). */
async function listedUntil(query: string, check: (ids: string[]) => boolean, what: string): Promise<string[]> {
  let ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    ids = await listed(query);
    if (check(ids)) return ids;
    await sleep(200);
  }
  throw new Error(`${what}: \`temporal workflow list --query '${query}'\` lists ${JSON.stringify(ids)}`);
}

const currentDetails = async (workflowId: string) =>
  (await stack.client.workflow.getHandle(workflowId).query<{ currentDetails: string }>('__temporal_workflow_metadata')).currentDetails;

describe('BillingBlocked on the dev server', () => {
  it('finds a blocked workspace, with the reason in its details, and stops finding it after ops fixed the cause and retried', async () => {
    const id = uniqueId('blocked');
    const workflowId = workflowIdFor(id);
    const request = {
      id,
      name: `Acme ${id}`,
      billingEmail: 'finance@acme.example',
      billingAddress: { country: 'US', region: 'NY' },
      plan: 'pro',
      paymentMethod: 'pm_card_visa',
    };
    // Stripe refuses to create the customer, however often it is asked: the sign-up step is blocked.
    stack.sandbox.injectFailures({ count: 1_000, status: 400, path: '/v1/customers' });
    await expect(impatient.createWorkspace(request)).rejects.toMatchObject({ code: 'still_processing' });

    await listedUntil('BillingBlocked = true', (ids) => ids.includes(workflowId), 'the blocked workspace is listed');
    expect(await listed('BillingBlocked = false')).not.toContain(workflowId);
    expect(await currentDetails(workflowId)).toMatch(/\*\*BLOCKED\*\*, retrying: .*injected 400/);
    // A healthy workspace (free, no card: no Stripe call) is never listed as blocked: it starts with BillingBlocked = false.
    const healthy = uniqueId('healthy');
    const { paymentMethod: _none, ...free } = request;
    await workflows.createWorkspace({ ...free, id: healthy, plan: 'free' });
    await listedUntil('BillingBlocked = false', (ids) => ids.includes(workflowIdFor(healthy)), 'the healthy workspace is listed as not blocked');
    expect(await listed('BillingBlocked = true')).toEqual([workflowId]);

    // Ops fix the cause, then ask for the retry instead of waiting out the hour.
    stack.sandbox.clearFaults();
    const answer = await temporal('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', 'retryBlockedStep', '--output', 'json');
    expect(answer).toContain('"blocked": null');

    await listedUntil('BillingBlocked = true', (ids) => !ids.includes(workflowId), 'the recovered workspace is no longer listed');
    expect(await listed('BillingBlocked = false')).toContain(workflowId);
    const desc = await stack.client.workflow.getHandle(workflowId).describe();
    expect(desc.typedSearchAttributes.get(BillingBlocked)).toBe(false);
    expect(await currentDetails(workflowId)).not.toContain('BLOCKED');
    // The sign-up the client retries now gets its answer: the workspace exists, paid.
    const created = await workflows.createWorkspace(request);
    expect(created.workspace).toMatchObject({ id, plan: 'pro', status: 'active' });

    // Asking again when nothing is blocked is refused (nothing is retried).
    await expect(
      temporal('workflow', 'update', 'execute', '--workflow-id', workflowId, '--name', 'retryBlockedStep'),
    ).rejects.toThrow(/no step of this workspace is blocked/);
  });
});

describe('visibility of other troubles', () => {
  it("a refused sign-up is listed as BillingStatus = 'signup_failed', closed, never as 'deleted'; the next attempt is a new run", async () => {
    const id = uniqueId('refused');
    const workflowId = workflowIdFor(id);
    const request = { id, name: `Acme ${id}`, billingEmail: 'finance@acme.example', billingAddress: { country: 'US', region: 'NY' }, plan: 'pro', paymentMethod: 'pm_card_chargeCustomerFail' };
    await expect(workflows.createWorkspace(request)).rejects.toMatchObject({ code: 'payment_failed' });

    const mine = `BillingWorkspaceId = '${id}'`;
    await listedUntil(`${mine} AND BillingStatus = 'signup_failed' AND ExecutionStatus = 'Completed'`, (ids) => ids.includes(workflowId), 'the refused sign-up is listed');
    expect(await listed(`${mine} AND BillingStatus = 'deleted'`)).toEqual([]);

    // A second attempt with a good card: its own run, listed as active next to the refused one.
    await workflows.createWorkspace({ ...request, paymentMethod: 'pm_card_visa' });
    await listedUntil(`${mine} AND BillingStatus = 'active' AND ExecutionStatus = 'Running'`, (ids) => ids.includes(workflowId), 'the new run is listed');
    expect(await listed(`${mine} AND BillingStatus = 'signup_failed'`)).toEqual([workflowId]);
  });

  it('the current details name the workspace in every run, also after the continue-as-new of a renewal (the static summary only in the first)', async () => {
    const id = uniqueId('summary');
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const request = { id, name: `Acme ${id}`, billingEmail: 'finance@acme.example', billingAddress: { country: 'US', region: 'NY' }, plan: 'free' };
    // An imported subscription whose term ends in a few seconds: it renews (continue-as-new) on the dev server.
    const { workspace } = await workflows.createWorkspace(request, { anchorAt: anchorWithTermEndingAt(Date.now() + 3_000) });
    const firstRun = (await handle.describe()).runId;
    expect(await (await handle.describe()).staticSummary()).toBe(`Billing of workspace ${id}`);

    // Renewed, and continued as a new run.
    await vi.waitFor(async () => expect([(await workflows.state(id)).workspace.termIndex, (await handle.describe()).runId !== firstRun]).toEqual([1, true]), { timeout: 30_000, interval: 200 });
    const renewed = await handle.describe();
    expect(renewed.typedSearchAttributes.get(BillingTermEnd)?.getTime()).toBeGreaterThan(workspace.termEnd);
    expect(await currentDetails(workflowIdFor(id))).toMatch(new RegExp(`^\\*\\*${id}\\*\\*: free plan, \\*\\*active\\*\\*\\n\\nTerm 1: `));
  });
});
