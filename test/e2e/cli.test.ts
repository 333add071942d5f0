// The ops CLI as ops run it (a child process, `tsx src/cli.ts ...`) against
// the running service and the Temporal dev server's visibility: human tables
// and --json for every command, and readable failures.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { workspaceSearchUrl, workspaceWorkflowUrl } from '../../src/temporal/ui-links';
import { apiClient, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

const run = promisify(execFile);
let stack: Stack;
let call: ApiCall;
let outDir: string;
const id = uniqueId('cli');
const freeId = uniqueId('cli-free');

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
  for (const ws of [id, freeId]) expect((await call('POST', '/v1/workspaces', { body: workspaceBody(ws) })).status).toBe(201);
  expect((await call('PUT', `/v1/workspaces/${id}/payment-method`, { body: { paymentMethod: 'pm_card_visa' } })).status).toBe(200);
  // Three members use one credit each (25 - 3 = 22 left); one id looks like a spreadsheet formula.
  for (const [i, member] of ['alice', 'bob, "the builder"', '=1+1'].entries()) {
    expect((await call('POST', `/v1/workspaces/${id}/usage`, { body: usageBody(`cli-${i}`, member) })).status).toBe(200);
  }
  outDir = mkdtempSync(path.join(os.tmpdir(), 'billing-cli-'));
});
afterAll(async () => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  await stack?.stop();
});

/** Runs the CLI with the stack's addresses in the environment, as an operator's shell would have them. */
async function cli(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = {
    ...process.env,
    BILLING_API_URL: stack.api,
    BILLING_API_TOKEN: stack.tokens.api,
    TEMPORAL_ADDRESS: stack.temporal.address,
    TEMPORAL_NAMESPACE: stack.temporal.namespace,
    TEMPORAL_UI_URL: stack.temporal.uiUrl,
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: projectRoot, env });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

async function cliJson(...args: string[]) {
  const r = await cli('--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const uiLink = (ws: string) => workspaceWorkflowUrl(stack.temporal.uiUrl, 'default', ws);
const searchLink = (ws: string) => workspaceSearchUrl(stack.temporal.uiUrl, 'default', ws);
/** The value of a `field   value` row of a human table. */
const field = (stdout: string, name: string) => stdout.split('\n').find((l) => l.startsWith(`${name} `))?.replace(/^\S+\s+/, '');

describe('ops CLI against the running service', () => {
  it('show: the workspace in words (term, balance by bucket, overage), its open invoices and its Temporal UI links', async () => {
    const [human, json] = await Promise.all([cli('show', id), cliJson('show', id)]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^FIELD\s+VALUE$/m);
    expect(field(human.stdout, 'id')).toBe(id);
    expect(field(human.stdout, 'plan')).toBe('free');
    expect(field(human.stdout, 'balance')).toBe('22 credits (plan 22, purchased 0)');
    expect(field(human.stdout, 'overage')).toBe('off (0 used)');
    expect(field(human.stdout, 'term')).toBe(`${json.workspace.term.start} to ${json.workspace.term.end}`);
    expect(field(human.stdout, 'workspaceUrl')).toBe(searchLink(id));
    expect(field(human.stdout, 'workflowUrl')).toBe(uiLink(id));
    expect(field(human.stdout, 'lowBalanceThreshold')).toBe('-'); // null: the default
    expect(human.stdout.split('Open invoices:')[0]).not.toMatch(/[{}"]/); // no JSON in the table
    expect(human.stdout).toMatch(/Open invoices:\n\(none\)/);

    expect(json).toMatchObject({
      workspace: { id, plan: 'free', balance: { plan: 22, purchased: 0, total: 22 } },
      openInvoices: [],
      workflowUrl: uiLink(id),
      workspaceUrl: searchLink(id),
    });
  });

  it('purchase and invoice-pdf: buys credits, then downloads the invoice PDF', async () => {
    const bought = await cliJson('purchase', id, '100', '--key', 'cli-buy-1');
    expect(bought).toMatchObject({ credits: 100, amountCents: 100, status: 'paid' });
    const again = await cli('purchase', id, '100', '--key', 'cli-buy-1');
    expect(again.stdout).toMatch(new RegExp(`^invoiceId\\s+${bought.invoiceId}$`, 'm'));
    expect((await call('GET', `/v1/workspaces/${id}`)).body.balance.purchased).toBe(100);

    const file = path.join(outDir, 'purchase.pdf');
    const human = await cli('invoice-pdf', bought.invoiceId, '-o', file);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^FILE\\n${file.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(await cliJson('invoice-pdf', bought.invoiceId, '-o', file)).toEqual({ file });
  });

  it('invoices and invoice: lists a workspace\'s invoices; one invoice and its PDF by number', async () => {
    const listed = await cliJson('invoices', id);
    const purchase = listed.find((i: { kind: string }) => i.kind === 'credit_purchase');
    expect(purchase).toMatchObject({ workspaceId: id, status: 'paid', number: expect.stringMatching(/^INV-\d{4}-\d{6}$/) });
    const human = await cli('invoices', id);
    expect(human.stdout).toMatch(/^NUMBER\s+KIND\s+STATUS\s+ISSUEDAT\s+TOTALCENTS\s+ID$/m);
    expect(human.stdout).toMatch(new RegExp(`^${purchase.number}\\s+credit_purchase\\s+paid\\s+\\S+Z\\s+${purchase.totalCents}\\s+${purchase.id}$`, 'm'));

    expect(await cliJson('invoice', purchase.number)).toEqual(await cliJson('invoice', purchase.id));
    const one = await cli('invoice', purchase.number);
    expect(field(one.stdout, 'number')).toBe(purchase.number);
    expect(field(one.stdout, 'totalCents')).toBe(String(purchase.totalCents));
    expect(one.stdout).toMatch(/^Lines:\nKIND\s+DESCRIPTION/m);

    const file = path.join(outDir, `${purchase.number}.pdf`);
    const pdf = await cli('invoice-pdf', purchase.number, '-o', file);
    expect(pdf.code, pdf.stderr).toBe(0);
    expect(readFileSync(file).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    const unknown = await cli('invoice', 'INV-1999-000001');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('-> 404 not_found: invoice INV-1999-000001');
  });

  it('plan: upgrades now; cancel and resume answer status and cancelAt', async () => {
    const upgraded = await cli('plan', id, 'pro');
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(upgraded.stdout).toMatch(/^effective\s+immediately$/m);
    expect(field(upgraded.stdout, 'balance')).toBe('200 credits (plan 100, purchased 100)');

    const termEnd = (await call('GET', `/v1/workspaces/${id}`)).body.term.end;
    const cancelled = await cli('cancel', id);
    expect(cancelled.stdout).toMatch(new RegExp(`^cancelAt\\s+${termEnd}$`, 'm'));
    expect(await cliJson('resume', id)).toEqual({ status: 'active', cancelAt: null, retentionUntil: null });
    expect(await cliJson('cancel', id)).toEqual({ status: 'active', cancelAt: termEnd, retentionUntil: null });

    expect(await cliJson('plan', freeId, 'free')).toMatchObject({ effective: 'unchanged', plan: 'free', currentPlan: 'free' });
  });

  it('list: workspaces from Temporal visibility, filtered by plan and status', async () => {
    // Visibility is eventually consistent: wait until it has indexed the upgrade.
    const upgraded = `BillingWorkspaceId = '${id}' AND BillingPlan = 'pro'`;
    await vi.waitFor(async () => expect((await stack.client.workflow.count(upgraded)).count).toBe(1), { timeout: 20_000, interval: 100 });

    const all = await cliJson('list');
    expect(all).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workspace: id, plan: 'pro', status: 'active', execution: 'RUNNING' }),
        expect.objectContaining({ workspace: freeId, plan: 'free', status: 'active', execution: 'RUNNING' }),
      ]),
    );
    const termEnd = (await call('GET', `/v1/workspaces/${id}`)).body.term.end;
    expect(all.find((r: { workspace: string }) => r.workspace === id).termEnd).toBe(termEnd);

    const [pro, pastDue, human] = await Promise.all([cliJson('list', '--plan', 'pro'), cliJson('list', '--status', 'past_due'), cli('list', '--plan', 'free')]);
    expect(pro.map((r: { workspace: string }) => r.workspace)).toEqual([id]);
    expect(pastDue).toEqual([]);
    expect(human.stdout).toMatch(/^WORKSPACE\s+PLAN\s+STATUS\s+TERMEND\s+EXECUTION$/m);
    expect(human.stdout).toMatch(new RegExp(`^${freeId}\\s+free\\s+active\\s+\\S+Z\\s+RUNNING$`, 'm'));
    expect(human.stdout).not.toContain(id + ' ');
  });

  it('export-usage: the usage history as CSV (quoted where needed) or JSON', async () => {
    const csv = await cli('export-usage', id);
    expect(csv.code, csv.stderr).toBe(0);
    const lines = csv.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('at,memberId,action,feature,tokens,credits');
    expect(lines.slice(1).map((l) => l.replace(/^[^,]+,/, '')).sort()).toEqual([
      '"bob, ""the builder""",chat_question,chat,,1',
      "'=1+1,chat_question,chat,,1", // not a formula when a spreadsheet opens it
      'alice,chat_question,chat,,1',
    ]);
    const file = path.join(outDir, 'usage.csv');
    expect((await cli('export-usage', id, '-o', file)).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(csv.stdout);

    const json = await cliJson('export-usage', id);
    expect(json.map((r: { memberId: string }) => r.memberId).sort()).toEqual(['=1+1', 'alice', 'bob, "the builder"']);
  });

  it('fails with the API error and exit code 1', async () => {
    const [missing, tooFew] = await Promise.all([cli('show', 'no-such-workspace'), cli('purchase', id, '5')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("GET /v1/workspaces/no-such-workspace -> 404 not_found: workspace 'no-such-workspace' was not found");
    expect(tooFew.code).toBe(1);
    expect(tooFew.stderr).toContain('-> 422 validation_failed: credits must be an integer from 100 to 100000');
  });
});
