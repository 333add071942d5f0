// Totals below Stripe's $0.50 minimum are not written off: the invoice stays
// open, carried forward, and the workspace's next invoice bills its total
// (tax included, not taxed again); paying that invoice pays the carried one.
// A zero total is settled as issued. Real Postgres, the Stripe sandbox.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { IssueInvoiceInput } from '../../src/domain/invoice';
import { getInvoice, loadPdf } from '../../src/invoices/store';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { nonRetryable, runActivity } from '../helpers/activities';
import { pdfPagesText } from '../helpers/pdf';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

const utc = (iso: string) => Date.parse(iso);
const term = { start: utc('2091-05-01T00:00:00Z'), end: utc('2091-06-01T00:00:00Z') };
const next = { start: term.end, end: utc('2091-07-01T00:00:00Z') };
let pool: Pool;
let sandbox: StripeSandbox;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(async () => {
  sandbox = await StripeSandbox.start();
  pool = createPool(inject('databaseUrl'), 5);
  const stripe = createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url });
  const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'carry-forward-outbox-'));
  acts = createInvoiceActivities({ pool, pricing: loadPricing(), stripe, outboxDir, publicBaseUrl: 'https://billing.test', seller: { name: 'Seller Inc.', address: ['1 Main St'] } });
});
afterAll(async () => {
  await sandbox?.close();
  await pool?.end();
});

/** A California workspace (7.25% tax) with a card on file. */
async function workspace(card = 'pm_card_visa') {
  const workspaceId = await insertWorkspace(pool, { id: uniqueId('carry') });
  await runActivity(acts.ensurePaymentMethod, { workspaceId, paymentMethod: card });
  return workspaceId;
}

const finalOverage = (workspaceId: string, credits: number, key = `final:${workspaceId}:0`): IssueInvoiceInput => ({
  key,
  workspaceId,
  kind: 'final',
  periodStart: term.start,
  periodEnd: term.end,
  issuedAt: term.end,
  overage: { credits, periodStart: term.start, periodEnd: term.end },
});

const renewal = (workspaceId: string, termIndex = 1): IssueInvoiceInput => ({
  key: `renewal:${workspaceId}:${termIndex}`,
  workspaceId,
  kind: 'renewal',
  periodStart: next.start,
  periodEnd: next.end,
  issuedAt: next.start + termIndex,
  base: { plan: 'pro', planName: 'Pro', priceCents: 2900 },
});

/** Issues `input` and charges it once: a below-minimum total is carried forward, not charged. */
async function issueAndCharge(input: IssueInvoiceInput) {
  const invoice = await runActivity(acts.issueInvoice, input);
  const charged = await runActivity(acts.chargeInvoice, { invoiceId: invoice.id, attempt: 1 });
  return { invoice, charged };
}

const chargesFor = (invoiceId: string) => sandbox.charges().filter((c) => c.metadata.invoice_id === invoiceId);
const finalizedStatuses = async (invoiceId: string) =>
  (
    await pool.query<{ status: string }>(
      `SELECT payload->>'status' AS status FROM outbox_events WHERE type = 'invoice.finalized' AND payload->>'invoiceId' = $1 ORDER BY id`,
      [invoiceId],
    )
  ).rows.map((r) => r.status);

describe('a total below the $0.50 minimum card charge', () => {
  it('is not charged and stays open, carried forward; the next invoice bills it untaxed; paying that pays both', async () => {
    const ws = await workspace();
    const { invoice: small, charged } = await issueAndCharge(finalOverage(ws, 30));
    expect(small.totalCents).toBe(32); // 30 + 7.25% tax (2.175 -> 2)
    expect(charged).toEqual({ outcome: 'not_charged' });
    expect(chargesFor(small.id)).toHaveLength(0);
    expect(await getInvoice(pool, small.id)).toMatchObject({ status: 'open', carriedInto: null, statusNote: expect.stringContaining('carried forward') });

    const { invoice: carrying } = await issueAndCharge(renewal(ws));
    const stored = await getInvoice(pool, carrying.id);
    expect(stored).toMatchObject({ subtotalCents: 2900, tax: { amountCents: 210 }, carriedForwardCents: 32, totalCents: 2900 + 210 + 32, status: 'paid' });
    expect(stored!.lines.map((l) => [l.kind, l.amountCents])).toEqual([['base_fee', 2900], ['carried_forward', 32]]);
    expect(stored!.lines[1]!.description).toContain(`Carried forward from ${small.number}`);
    expect(chargesFor(carrying.id).map((c) => [c.status, c.amount])).toEqual([['succeeded', 3142]]);

    const settled = await getInvoice(pool, small.id);
    expect(settled).toMatchObject({ status: 'paid', paidAt: stored!.paidAt, carriedInto: carrying.id });
    expect(settled!.statusNote).toContain(`paid with ${carrying.number}`);

    // Finance gets the carried invoice again, now PAID, when the invoice that paid it is delivered.
    await runActivity(acts.finalizeInvoice, { invoiceId: carrying.id });
    expect(await finalizedStatuses(carrying.id)).toEqual(['paid']);
    expect(await finalizedStatuses(small.id)).toEqual(['paid']);
    expect((await getInvoice(pool, small.id))!.pdfStatus).toBe('paid');
    const pdfText = (await pdfPagesText((await loadPdf(pool, carrying.id))!.pdf)).join(' ').replace(/\s+/g, ' ');
    expect(pdfText).toContain(`Carried forward from ${small.number}`);
    expect(pdfText).toContain('Carried forward (tax included) $0.32');
    const smallPdf = (await pdfPagesText((await loadPdf(pool, small.id))!.pdf)).join(' ').replace(/\s+/g, ' ');
    expect(smallPdf).toContain(`paid with ${carrying.number}`);
  });

  it('is carried once: a repeated issue or charge changes nothing, and a later invoice does not bill it again', async () => {
    const ws = await workspace();
    const { invoice: small } = await issueAndCharge(finalOverage(ws, 40));
    expect(await runActivity(acts.chargeInvoice, { invoiceId: small.id, attempt: 2 })).toEqual({ outcome: 'not_charged' }); // a retry

    const first = await runActivity(acts.issueInvoice, renewal(ws));
    expect(await runActivity(acts.issueInvoice, renewal(ws))).toEqual(first); // a retried activity
    const later = await runActivity(acts.issueInvoice, renewal(ws, 2));
    expect(first.totalCents).toBe(2900 + 210 + 43);
    expect(later.totalCents).toBe(2900 + 210);
    expect((await getInvoice(pool, later.id))!.carriedForwardCents).toBe(0);
  });

  it('carried into an invoice whose sale failed (voided) is carried into the next one instead', async () => {
    const ws = await workspace('pm_card_chargeCustomerFail');
    const { invoice: small } = await issueAndCharge(finalOverage(ws, 30));
    const purchase = await runActivity(acts.issueInvoice, {
      key: `purchase:${ws}:p1:1`, workspaceId: ws, kind: 'credit_purchase', periodStart: term.start, periodEnd: term.end,
      issuedAt: term.end + 1, purchase: { credits: 1000 },
    });
    expect(purchase.totalCents).toBe(1000 + 73 + 32);
    await nonRetryable(runActivity(acts.chargeInvoice, { invoiceId: purchase.id, attempt: 1 }), 'PaymentFailed');
    await runActivity(acts.voidInvoice, { invoiceId: purchase.id, reason: 'Purchase payment failed; no credits granted.' });
    expect(await getInvoice(pool, small.id)).toMatchObject({ status: 'open', carriedInto: null });

    const carrying = await runActivity(acts.issueInvoice, renewal(ws));
    expect(carrying.totalCents).toBe(2900 + 210 + 32);
    expect((await getInvoice(pool, small.id))!.carriedInto).toBe(carrying.id);
  });

  it('carried into an invoice that is itself below the minimum travels on; paying the last one pays the chain', async () => {
    const ws = await workspace();
    const { invoice: a } = await issueAndCharge(finalOverage(ws, 20, `final:${ws}:a`)); // 21
    const { invoice: b } = await issueAndCharge(finalOverage(ws, 10, `final:${ws}:b`)); // 11 + 21 carried
    expect(b.totalCents).toBe(32);
    expect(await getInvoice(pool, b.id)).toMatchObject({ status: 'open', carriedForwardCents: 21 });
    const { invoice: c } = await issueAndCharge(renewal(ws));
    expect(c.totalCents).toBe(2900 + 210 + 32);
    for (const id of [a.id, b.id]) expect(await getInvoice(pool, id)).toMatchObject({ status: 'paid', statusNote: expect.stringContaining(c.number) });
  });

  it('with nothing after it (a final invoice) stays open as a receivable, not void', async () => {
    const ws = await workspace();
    const { invoice } = await issueAndCharge(finalOverage(ws, 45));
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'open', totalCents: 48, carriedInto: null });
  });
});

describe('a zero total', () => {
  it('is settled as issued: paid, never charged', async () => {
    const ws = await workspace();
    const invoice = await runActivity(acts.issueInvoice, {
      key: `upgrade:${ws}:zero`, workspaceId: ws, kind: 'upgrade', periodStart: term.end - 1000, periodEnd: term.end, issuedAt: term.end - 1000,
      upgrade: { fromPlan: 'enterprise', toPlan: 'enterprise', fromPriceCents: 10_000, toPriceCents: 10_001, termStart: term.start, termEnd: term.end, at: term.end - 1000 },
    });
    expect(invoice).toMatchObject({ totalCents: 0, status: 'paid' });
    expect(await getInvoice(pool, invoice.id)).toMatchObject({ status: 'paid', paidAt: term.end - 1000, paymentReference: null });
    expect(chargesFor(invoice.id)).toHaveLength(0);
  });
});
