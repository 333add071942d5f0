import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { loadPdf } from '../../src/invoices/store';
import { runActivity } from '../helpers/activities';
import { pdfPagesText } from '../helpers/pdf';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

const utc = (iso: string) => Date.parse(iso);
let pool: Pool;
let outboxDir: string;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(() => {
  pool = createPool(inject('databaseUrl'), 3);
  outboxDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'invoice-outbox-')), 'finance');
  acts = createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: new Stripe('sk_test_unused'),
    outboxDir,
    publicBaseUrl: 'https://billing.test',
    seller: { name: 'Loupe Factory, Inc.', address: ['1 Market Street', 'San Francisco, CA 94105'] },
  });
});
afterAll(async () => {
  await pool?.end();
});

async function eventsFor(invoiceId: string) {
  const { rows } = await pool.query<{ type: string; dedupe_key: string; payload: Record<string, unknown>; workspace_id: string }>(
    `SELECT type, dedupe_key, payload, workspace_id FROM outbox_events WHERE payload->>'invoiceId' = $1 ORDER BY id`,
    [invoiceId],
  );
  return rows;
}

const textOf = async (bytes: Buffer) => (await pdfPagesText(bytes)).join(' ').replace(/\s+/g, ' ');

describe('finalizeInvoice: PDF stored, delivered to the finance outbox, announced once per status', () => {
  it('delivers <number>.pdf atomically and one invoice.finalized event, idempotently; again when paid', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('fin') });
    const start = utc('2082-07-01T00:00:00Z');
    const invoice = await runActivity(acts.issueInvoice, {
      key: `renewal:${workspaceId}:0`,
      workspaceId,
      kind: 'renewal',
      periodStart: start,
      periodEnd: utc('2082-08-01T00:00:00Z'),
      issuedAt: start,
      base: { plan: 'pro', planName: 'Pro', priceCents: 2900 },
    });

    const first = await runActivity(acts.finalizeInvoice, { invoiceId: invoice.id });
    expect(first).toEqual({ invoiceId: invoice.id, number: invoice.number, status: 'open', file: path.join(outboxDir, `${invoice.number}.pdf`) });
    const delivered = readFileSync(first.file);
    expect(delivered.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await textOf(delivered);
    expect(text).toContain(invoice.number);
    expect(text).toContain('DUE');
    expect(await loadPdf(pool, invoice.id)).toEqual({ pdf: delivered, status: 'open' });

    await runActivity(acts.finalizeInvoice, { invoiceId: invoice.id }); // a retried activity
    let events = await eventsFor(invoice.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'invoice.finalized',
      workspace_id: workspaceId,
      dedupe_key: `invoice.finalized:${invoice.id}:open`,
      payload: {
        number: invoice.number,
        status: 'open',
        kind: 'renewal',
        totalCents: 3110, // 2900 + 7.25%
        pdfFile: `${invoice.number}.pdf`,
        pdfUrl: `/v1/invoices/${invoice.id}/pdf`,
        periodStart: '2082-07-01T00:00:00.000Z',
      },
    });
    expect(readdirSync(outboxDir).filter((f) => f.startsWith('.'))).toEqual([]); // no temp files left behind

    await runActivity(acts.markInvoicePaid, { invoiceId: invoice.id, paymentIntentId: 'pi_paid123', paidAt: start + 5000 });
    const paid = await runActivity(acts.finalizeInvoice, { invoiceId: invoice.id });
    expect(paid.status).toBe('paid');
    const paidText = await textOf(readFileSync(paid.file));
    expect(paidText).toContain('PAID');
    expect(paidText).toContain('pi_paid123');
    events = await eventsFor(invoice.id);
    expect(events.map((e) => e.dedupe_key)).toEqual([`invoice.finalized:${invoice.id}:open`, `invoice.finalized:${invoice.id}:paid`]);
    expect(events[1]!.payload).toMatchObject({ status: 'paid', paymentReference: 'pi_paid123' });
  });
});
