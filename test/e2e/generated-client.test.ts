// A client generated from the served OpenAPI document by tools nobody here
// wrote works: openapi-typescript turns /openapi.json into types, a small
// program written against them with openapi-fetch passes `tsc --strict` (so
// every path, body and answer field it uses is in the document as the server
// has it), and run against the live service it creates a workspace, uses
// credits, is refused, buys credits, upgrades, reads the workspace, its
// invoices and a PDF, with the answers the program's types promised.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

const run = promisify(execFile);
const bin = (name: string) => path.join(projectRoot, 'node_modules', '.bin', name);
let stack: Stack;
// Inside the checkout, so the program resolves openapi-fetch from node_modules; git-ignored.
const dir = path.join(projectRoot, 'test-artifacts', `generated-client-${process.pid}`);

// The program a user of the API would write against the generated types.
const CLIENT = `
import createClient from 'openapi-fetch';
import type { paths } from './schema.js';

const client = createClient<paths>({ baseUrl: process.env.BASE!, headers: { authorization: 'Bearer ' + process.env.TOKEN } });
const id = process.env.WORKSPACE!;
const ws = { params: { path: { id } } };
const out: Record<string, unknown> = {};

const created = await client.POST('/v1/workspaces', {
  body: {
    id,
    name: 'Generated Client Inc.',
    billingEmail: 'finance@generated.example',
    billingAddress: { country: 'US', region: 'NY', city: 'New York', postalCode: '10001', line1: '350 Fifth Avenue' },
    plan: 'free',
  },
});
out.created = { status: created.response.status, plan: created.data?.plan, total: created.data?.balance.total, scheduledChange: created.data?.scheduledChange };

const used = await client.POST('/v1/workspaces/{id}/usage', { ...ws, body: { idempotencyKey: 'g-1', memberId: 'ann', action: 'ai_assist', feature: 'chat', tokens: 2500 } });
out.used = { status: used.response.status, charged: used.data?.creditsCharged, left: used.data?.balance.total };

const invalid = await client.POST('/v1/workspaces/{id}/usage', { ...ws, body: { idempotencyKey: 'g-2', memberId: 'ann', action: 'chat_question', feature: 'chat', tokens: -1 } });
out.invalid = { status: invalid.response.status, code: invalid.error?.error.code };

const noCard = await client.POST('/v1/workspaces/{id}/purchases', { ...ws, body: { credits: 100, idempotencyKey: 'g-buy' } });
out.noCard = { status: noCard.response.status, code: noCard.error?.error.code };

const card = await client.PUT('/v1/workspaces/{id}/payment-method', { ...ws, body: { paymentMethod: 'pm_card_visa' } });
out.card = { status: card.response.status, paymentMethod: card.data?.paymentMethod };

const bought = await client.POST('/v1/workspaces/{id}/purchases', { ...ws, body: { credits: 100, idempotencyKey: 'g-buy' } });
out.bought = { status: bought.response.status, credits: bought.data?.credits, invoiceNumber: bought.data?.invoiceNumber, subtotal: bought.data?.subtotalCents, tax: bought.data?.taxCents, total: bought.data?.totalCents };

const upgraded = await client.POST('/v1/workspaces/{id}/plan', { ...ws, body: { plan: 'pro' } });
out.upgraded = { status: upgraded.response.status, effective: upgraded.data?.effective, total: upgraded.data && 'totalCents' in upgraded.data ? upgraded.data.totalCents : undefined };

const scheduled = await client.POST('/v1/workspaces/{id}/plan', { ...ws, body: { plan: 'free' } });
out.scheduled = { status: scheduled.response.status, effective: scheduled.data?.effective };

const shown = await client.GET('/v1/workspaces/{id}', ws);
out.shown = { status: shown.response.status, plan: shown.data?.plan, scheduledPlan: shown.data?.scheduledChange?.plan };

const listed = await client.GET('/v1/workspaces/{id}/invoices', ws);
const numbers = listed.data?.invoices.map((i) => i.number) ?? [];
out.invoices = { status: listed.response.status, kinds: listed.data?.invoices.map((i) => i.kind) };

const one = await client.GET('/v1/invoices/{id}', { params: { path: { id: numbers[0]! } } });
out.invoice = { status: one.response.status, number: one.data?.number, total: one.data?.totalCents };

const pdf = await client.GET('/v1/invoices/{id}/pdf', { params: { path: { id: numbers[0]! } }, parseAs: 'arrayBuffer' });
out.pdf = { status: pdf.response.status, type: pdf.response.headers.get('content-type'), magic: pdf.data ? Buffer.from(pdf.data).subarray(0, 5).toString('latin1') : null };

const report = await client.GET('/v1/workspaces/{id}/usage', { params: { path: { id }, query: { groupBy: 'member' } } });
out.report = { status: report.response.status, credits: report.data?.totals.credits };

console.log(JSON.stringify(out));
`;

beforeAll(async () => {
  stack = await startStack();
  mkdirSync(dir, { recursive: true });
  const doc = await (await fetch(`${stack.api}/openapi.json`)).text();
  writeFileSync(path.join(dir, 'openapi.json'), doc);
  writeFileSync(path.join(dir, 'client.ts'), CLIENT);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await stack?.stop();
});

describe('a client generated from /openapi.json', () => {
  it('openapi-typescript generates its types, and a program using them with openapi-fetch type-checks', async () => {
    await run(bin('openapi-typescript'), [path.join(dir, 'openapi.json'), '-o', path.join(dir, 'schema.d.ts')], { cwd: projectRoot });
    const checked = await run(
      bin('tsc'),
      ['--noEmit', '--strict', '--noUncheckedIndexedAccess', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--skipLibCheck', path.join(dir, 'client.ts')],
      { cwd: projectRoot },
    ).catch((err: { stdout: string; stderr: string }) => err);
    expect(`${checked.stdout}${checked.stderr}`).toBe('');
  }, 180_000);

  it('runs against the service: every call answers as its generated types say', async () => {
    const env = { ...process.env, BASE: stack.api, TOKEN: stack.tokens.api, WORKSPACE: uniqueId('generated') };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(dir, 'client.ts')], { cwd: projectRoot, env });
    const out = JSON.parse(stdout);
    expect(out).toEqual({
      created: { status: 201, plan: 'free', total: 25, scheduledChange: null },
      used: { status: 200, charged: 3, left: 22 },
      invalid: { status: 422, code: 'validation_failed' },
      noCard: { status: 422, code: 'payment_method_required' },
      card: { status: 200, paymentMethod: 'pm_card_visa' },
      bought: { status: 201, credits: 100, invoiceNumber: expect.stringMatching(/^INV-\d{4}-\d{6}$/), subtotal: 100, tax: 4, total: 104 },
      upgraded: { status: 200, effective: 'immediately', total: expect.any(Number) },
      scheduled: { status: 200, effective: 'at_renewal' },
      shown: { status: 200, plan: 'pro', scheduledPlan: 'free' },
      invoices: { status: 200, kinds: ['upgrade', 'credit_purchase'] },
      invoice: { status: 200, number: expect.stringMatching(/^INV-\d{4}-\d{6}$/), total: out.upgraded.total },
      pdf: { status: 200, type: 'application/pdf', magic: '%PDF-' },
      report: { status: 200, credits: 3 },
    });
    expect(out.upgraded.total).toBeGreaterThan(0);
  }, 180_000);
});
