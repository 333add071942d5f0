// Trouble visible to ops, on the Temporal dev server with the real `temporal`
// CLI: a workspace whose step is blocked (Stripe refuses to create its
// customer, a failure no retry fixes) is found by
// `temporal workflow list --query 'BillingBlocked = true'`, with the reason in
// its current details; once ops fixed the cause and asked for a retry
// (`temporal workflow update execute --name retryBlockedStep`), the step goes
// through and the query finds it no more.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPaths } from '../../src/state-dir';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingBlocked } from '../../workflows/search-attributes';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

const run = promisify(execFile);
let stack: Stack;
/** The API's side with a short wait: a blocked sign-up answers 503 still_processing at once. */
let workflows: BillingWorkflows;

beforeAll(async () => {
  stack = await startStack();
  workflows = new BillingWorkflows(stack.client, stack.temporal.taskQueue, { requestTimeoutMs: 2_000 });
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
    await expect(workflows.createWorkspace(request)).rejects.toMatchObject({ code: 'still_processing' });

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
