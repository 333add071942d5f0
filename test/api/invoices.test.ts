import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { InvoiceSummary } from '../../src/domain/invoice';
import { buildApp, type App } from '../../src/http/app';
import { invoiceRoutes } from '../../src/http/routes/invoices';
import { finalizeInvoice } from '../../src/invoices/finalize';
import { issueInvoice, loadPdf } from '../../src/invoices/store';
import { pdfPagesText } from '../helpers/pdf';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

const utc = (iso: string) => Date.parse(iso);
const read = { authorization: 'Bearer read-token' };
let pool: Pool;
let app: App;
let workspaceId: string;
let renewal: InvoiceSummary;
let purchase: InvoiceSummary;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'), 3);
  app = await buildApp({ tokens: { api: 'full-token', read: 'read-token' }, routes: [invoiceRoutes({ pool })] });
  workspaceId = await insertWorkspace(pool, { id: uniqueId('api') });
  const pricing = loadPricing();
  const seller = { name: 'Seller Inc.', address: ['1 Main St'] };
  renewal = await issueInvoice(pool, pricing, seller, {
    key: `renewal:${workspaceId}:1`,
    workspaceId,
    kind: 'renewal',
    periodStart: utc('2083-02-01T00:00:00Z'),
    periodEnd: utc('2083-03-01T00:00:00Z'),
    issuedAt: utc('2083-02-01T00:00:00Z'),
    base: { plan: 'pro', planName: 'Pro', priceCents: 2900 },
  });
  purchase = await issueInvoice(pool, pricing, seller, {
    key: `purchase:${workspaceId}:p9`,
    workspaceId,
    kind: 'credit_purchase',
    periodStart: utc('2083-02-01T00:00:00Z'),
    periodEnd: utc('2083-03-01T00:00:00Z'),
    issuedAt: utc('2083-02-10T12:00:00Z'),
    purchase: { credits: 2500 },
  });
  await finalizeInvoice(pool, { outboxDir: path.join(mkdtempSync(path.join(os.tmpdir(), 'api-outbox-')), 'out'), publicBaseUrl: 'https://billing.test' }, renewal.id);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
});

describe('invoice read API', () => {
  it("lists a workspace's invoices newest first, for the read-only token", async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/workspaces/${workspaceId}/invoices`, headers: read });
    expect(res.statusCode).toBe(200);
    const { invoices } = res.json<{ invoices: Array<Record<string, unknown>> }>();
    expect(invoices.map((i) => i.number)).toEqual([purchase.number, renewal.number]);
    expect(invoices[0]).toMatchObject({
      id: purchase.id,
      kind: 'credit_purchase',
      status: 'open',
      currency: 'usd',
      subtotalCents: 2500,
      tax: { name: 'CA sales tax 7.25%', rateBps: 725, amountCents: 181 }, // 181.25
      totalCents: 2681,
      issuedAt: '2083-02-10T12:00:00.000Z',
      periodStart: '2083-02-01T00:00:00.000Z',
      paidAt: null,
      plan: { id: 'pro', name: 'Pro', priceCents: 2900 },
      lines: [{ kind: 'credit_purchase', quantity: 2500, unitAmountCents: 1, amountCents: 2500, periodEnd: '2083-03-01T00:00:00.000Z' }],
      pdfUrl: `/v1/invoices/${purchase.id}/pdf`,
    });
    const limited = await app.inject({ method: 'GET', url: `/v1/workspaces/${workspaceId}/invoices?limit=1`, headers: read });
    expect(limited.json<{ invoices: unknown[] }>().invoices).toHaveLength(1);
  });

  it('returns one invoice with its lines and customer block', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/invoices/${renewal.id}`, headers: read });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      number: renewal.number,
      workspaceId,
      customer: { billingEmail: `finance+${workspaceId}@acme.example`, billingAddress: { country: 'US', region: 'CA' } },
      lines: [{ kind: 'base_fee', amountCents: 2900 }],
      totalCents: 3110,
    });
  });

  it('serves the stored PDF', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/invoices/${renewal.id}/pdf`, headers: read });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`inline; filename="${renewal.number}.pdf"`);
    expect(res.rawPayload.equals((await loadPdf(pool, renewal.id))!.pdf)).toBe(true);
  });

  it('renders a PDF on the fly for an invoice not finalized yet', async () => {
    expect(await loadPdf(pool, purchase.id)).toBeNull();
    const res = await app.inject({ method: 'GET', url: `/v1/invoices/${purchase.id}/pdf`, headers: read });
    expect(res.statusCode).toBe(200);
    expect((await pdfPagesText(res.rawPayload)).join(' ')).toContain(purchase.number);
  });

  it.each([
    ['/v1/workspaces/no-such-ws/invoices', 404],
    ['/v1/workspaces/bad%20id!/invoices', 422],
    [`/v1/workspaces/WS/invoices?limit=0`, 422],
    [`/v1/workspaces/WS/invoices?limit=1&x=1`, 422],
    ['/v1/invoices/00000000-0000-4000-8000-000000000000', 404],
    ['/v1/invoices/00000000-0000-4000-8000-000000000000/pdf', 404],
    ['/v1/invoices/not-a-uuid', 422],
  ])('GET %s -> %i', async (url, status) => {
    const res = await app.inject({ method: 'GET', url: url.replace('WS', workspaceId), headers: read });
    expect(res.statusCode).toBe(status);
    expect(res.json<{ error: { code: string } }>().error.code).toBe(status === 404 ? 'not_found' : 'validation_failed');
  });

  it('needs a token', async () => {
    const res = await app.inject({ method: 'GET', url: `/v1/invoices/${renewal.id}` });
    expect(res.statusCode).toBe(401);
  });
});
