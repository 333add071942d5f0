import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { deliverUndeliveredVoidInvoices } from '../../src/invoices/finalize';
import { loadPdf, voidInvoice } from '../../src/invoices/store';
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

/** An open credit-purchase invoice of 500 credits, issued on the 3rd of `month` (YYYY-MM) in that month's term. */
const issuePurchase = (workspaceId: string, month: string) =>
  runActivity(acts.issueInvoice, {
    key: `purchase-sale:${workspaceId}:1`,
    workspaceId,
    kind: 'credit_purchase',
    periodStart: utc(`${month}-01T00:00:00Z`),
    periodEnd: utc(`${month}-01T00:00:00Z`) + 30 * 86_400_000,
    issuedAt: utc(`${month}-03T10:00:00Z`),
    purchase: { credits: 500 },
  });

const textOf = async (bytes: Buffer) => (await pdfPagesText(bytes)).join(' ').replace(/\s+/g, ' ');

describe('finalizeInvoice: PDF stored, delivered to the finance outbox, announced once per status (void ones too)', () => {
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
        pdfUrl: `https://billing.test/v1/invoices/${invoice.id}/pdf`, // absolute: finance fetches it from outside
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

  it('delivers a void invoice too: <number>.pdf marked VOID with its reason, and one invoice.voided event', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('void') });
    const invoice = await issuePurchase(workspaceId, '2082-09');

    const voided = await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Your card was declined.' });
    await runActivity(acts.voidInvoice, { invoiceId: invoice.id, reason: 'Your card was declined.' }); // a retried activity
    expect(voided).toMatchObject({ id: invoice.id, number: invoice.number, status: 'void' });

    const file = path.join(outboxDir, `${invoice.number}.pdf`);
    const text = await textOf(readFileSync(file));
    expect(text).toContain(invoice.number);
    expect(text).toContain('VOID');
    expect(text).toContain('This invoice is void; nothing is due. Reason: Your card was declined.');
    expect(text).toContain('Amount due $0.00');
    expect(await loadPdf(pool, invoice.id)).toEqual({ pdf: readFileSync(file), status: 'void' });

    const events = await eventsFor(invoice.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'invoice.voided',
      workspace_id: workspaceId,
      payload: {
        number: invoice.number,
        status: 'void',
        kind: 'credit_purchase',
        statusNote: 'Your card was declined.',
        pdfFile: `${invoice.number}.pdf`,
        pdfUrl: `https://billing.test/v1/invoices/${invoice.id}/pdf`,
      },
    });
  });

  it('delivers, once, the void invoices voided before void invoices were delivered', async () => {
    const workspaceId = await insertWorkspace(pool, { id: uniqueId('oldvoid') });
    const invoice = await issuePurchase(workspaceId, '2082-11');
    await voidInvoice(pool, invoice.id, 'Your card has insufficient funds.'); // as the activity did before: no PDF, no event
    const delivery = { outboxDir, publicBaseUrl: 'https://billing.test' };

    // A service starting meanwhile (another test file) may deliver it first: the outcome is checked, not who did it.
    await deliverUndeliveredVoidInvoices(pool, delivery);
    expect(await deliverUndeliveredVoidInvoices(pool, delivery)).not.toContain(invoice.number);
    expect((await eventsFor(invoice.id)).map((e) => e.type)).toEqual(['invoice.voided']);
    const stored = await loadPdf(pool, invoice.id);
    expect(stored?.status).toBe('void');
    expect(await textOf(stored!.pdf)).toContain('Your card has insufficient funds.');
  });
});
