import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { IssueInvoiceInput } from '../../src/domain/invoice';
import { getInvoice } from '../../src/invoices/store';
import { nonRetryable, runActivity } from '../helpers/activities';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

// Numbering is per year, so every test here uses a year of its own (2071..):
// test files share one database and run in parallel.
const utc = (iso: string) => Date.parse(iso);
let pool: Pool;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(() => {
  pool = createPool(inject('databaseUrl'), 10);
  acts = createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: new Stripe('sk_test_unused'), // issuing never talks to Stripe
    outboxDir: '/nonexistent',
    publicBaseUrl: 'https://billing.test',
    seller: { name: 'Seller Inc.', address: ['1 Main St'] },
  });
});
afterAll(async () => {
  await pool?.end();
});

function renewal(workspaceId: string, year: number, termIndex = 0): IssueInvoiceInput {
  const start = utc(`${year}-03-10T08:00:00Z`);
  return {
    key: `renewal:${workspaceId}:${termIndex}`,
    workspaceId,
    kind: 'renewal',
    periodStart: start,
    periodEnd: utc(`${year}-04-10T08:00:00Z`),
    issuedAt: start,
    base: { plan: 'pro', planName: 'Pro', priceCents: 2900 },
    overage: { credits: 250, periodStart: utc(`${year}-02-10T08:00:00Z`), periodEnd: start },
  };
}

describe('issueInvoice', () => {
  it('computes, numbers and stores the invoice with its lines and a customer snapshot', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('iss'), billingAddress: { country: 'DE', city: 'Berlin', postalCode: '10115', line1: 'Invalidenstr. 1' } });
    const summary = await runActivity(acts.issueInvoice, renewal(ws, 2071));
    expect(summary).toMatchObject({ number: 'INV-2071-000001', kind: 'renewal', status: 'open', totalCents: 3749 }); // 3150 + 19% (598.5 -> 599)
    const stored = await getInvoice(pool, summary.id);
    expect(stored?.lines.map((l) => [l.kind, l.amountCents])).toEqual([
      ['base_fee', 2900],
      ['overage', 250],
    ]);
    expect(stored).toMatchObject({
      subtotalCents: 3150,
      tax: { rateBps: 1900, amountCents: 599 },
      plan: { id: 'pro', name: 'Pro', priceCents: 2900 },
      customer: { billingAddress: { country: 'DE', city: 'Berlin' } },
      seller: { name: 'Seller Inc.' },
      issuedAt: utc('2071-03-10T08:00:00Z'),
    });
  });

  it('is idempotent by key: a repeat returns the stored invoice and uses no number', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('idem') });
    const first = await runActivity(acts.issueInvoice, renewal(ws, 2072));
    const again = await runActivity(acts.issueInvoice, renewal(ws, 2072));
    expect(again).toEqual(first);
    const next = await runActivity(acts.issueInvoice, renewal(ws, 2072, 1));
    expect([first.number, next.number]).toEqual(['INV-2072-000001', 'INV-2072-000002']);
  });

  it('concurrent issues of one key store one invoice and leave no gap', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('race') });
    const results = await Promise.all(Array.from({ length: 10 }, () => runActivity(acts.issueInvoice, renewal(ws, 2073))));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const next = await runActivity(acts.issueInvoice, renewal(ws, 2073, 1));
    expect(next.number).toBe('INV-2073-000002');
  });

  it('100 invoices issued concurrently across workspaces get 100 distinct consecutive numbers', async () => {
    const workspaces = await Promise.all(Array.from({ length: 100 }, (_, i) => insertWorkspace(pool, { id: uniqueId(`c${i}`) })));
    const results = await Promise.all(workspaces.map((ws) => runActivity(acts.issueInvoice, renewal(ws, 2074))));
    const sequences = results.map((r) => Number(/^INV-2074-(\d{6})$/.exec(r.number)![1])).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('numbers by the UTC year of issue and restarts at 1 each year', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('year') });
    const late = await runActivity(acts.issueInvoice, { ...renewal(ws, 2075), key: `k1:${ws}`, issuedAt: utc('2075-12-31T23:59:59.999Z') });
    const early = await runActivity(acts.issueInvoice, { ...renewal(ws, 2075), key: `k2:${ws}`, issuedAt: utc('2076-01-01T00:00:00.000Z') });
    expect([late.number, early.number]).toEqual(['INV-2075-000001', 'INV-2076-000001']);
  });

  it('refuses bad input without using a number', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('bad') });
    const { base: _none, ...noBase } = renewal(ws, 2077);
    await nonRetryable(runActivity(acts.issueInvoice, noBase), 'InvalidInvoiceInput');
    await nonRetryable(runActivity(acts.issueInvoice, { ...renewal(ws, 2077), kind: 'credit_purchase', purchase: { credits: 50 } }), 'InvalidInvoiceInput');
    await nonRetryable(runActivity(acts.issueInvoice, renewal('no-such-workspace', 2077)), 'WorkspaceNotFound');
    const ok = await runActivity(acts.issueInvoice, renewal(ws, 2077));
    expect(ok.number).toBe('INV-2077-000001');
    // the key now belongs to this invoice: another workspace cannot reuse it
    const other = await insertWorkspace(pool, { id: uniqueId('other') });
    await nonRetryable(runActivity(acts.issueInvoice, { ...renewal(other, 2077), key: renewal(ws, 2077).key }), 'InvoiceKeyReused');
  });

  // Defect 8: an upgrade Pro -> Growth under the key of an earlier, paid Free -> Pro upgrade got the old invoice back
  // (and the workflow skipped its charge). Another sale under a used key is refused; a retried step is answered.
  it('an existing key issued again with other content is refused (non-retryable); a later retry of the same step gets the invoice', async () => {
    const ws = await insertWorkspace(pool, { id: uniqueId('reuse') });
    const at = utc('2078-05-20T00:00:00Z');
    const upgrade = (fromPlan: string, toPlan: string, fromPriceCents: number, toPriceCents: number): IssueInvoiceInput => ({
      key: `upgrade:${ws}:plan:client-key-1`,
      workspaceId: ws,
      kind: 'upgrade',
      periodStart: at,
      periodEnd: utc('2078-06-10T00:00:00Z'),
      issuedAt: at,
      upgrade: { fromPlan, toPlan, fromPriceCents, toPriceCents, termStart: utc('2078-05-10T00:00:00Z'), termEnd: utc('2078-06-10T00:00:00Z'), at },
    });
    const first = await runActivity(acts.issueInvoice, upgrade('free', 'pro', 0, 2900));
    await nonRetryable(runActivity(acts.issueInvoice, upgrade('pro', 'growth', 2900, 9900)), 'InvoiceKeyReused');
    const retried = await runActivity(acts.issueInvoice, { ...upgrade('free', 'pro', 0, 2900), issuedAt: at + 3_600_000 });
    expect(retried).toEqual(first);
  });
});
