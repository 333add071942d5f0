// Invoices as finance's own tools read them: issued on real Postgres from the
// workspace's billing details, delivered to the outbox, and read back with
// poppler's pdftotext (required: the test fails, saying how to install it,
// where it is missing). A German business customer with a VAT ID and a US
// customer: each address in its country's order with the country's name, both
// parties' tax IDs, what a credit purchase bought, payment references whole.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { BillingAddress } from '../../src/domain/tax';
import { runActivity } from '../helpers/activities';
import { pdftotextLines } from '../helpers/pdf';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';

const utc = (iso: string) => Date.parse(iso);
let pool: Pool;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(() => {
  pool = createPool(inject('databaseUrl'), 3);
  acts = createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: new Stripe('sk_test_unused'),
    outboxDir: path.join(mkdtempSync(path.join(os.tmpdir(), 'pdftotext-outbox-')), 'finance'),
    publicBaseUrl: 'https://billing.test',
    seller: { name: 'Loupe Factory B.V.', address: ['Herengracht 1', '1015 BA Amsterdam', 'Netherlands'], taxId: 'NL004495445B01' },
  });
});
afterAll(async () => {
  await pool?.end();
});

/** Issues the invoice for a workspace with these billing details, pays it with `reference`, and reads the delivered PDF. */
async function deliveredInvoiceText(
  billing: { name: string; billingAddress: BillingAddress },
  sale: { kind: 'renewal' } | { kind: 'credit_purchase'; credits: number },
  reference: string,
): Promise<string[]> {
  const workspaceId = await insertWorkspace(pool, { id: uniqueId('pdftotext'), plan: 'free', planPriceCents: 0, ...billing });
  const start = utc('2084-03-14T10:00:00Z');
  const invoice = await runActivity(acts.issueInvoice, {
    key: `${sale.kind}:${workspaceId}:1`,
    workspaceId,
    kind: sale.kind,
    periodStart: start,
    periodEnd: utc('2084-04-14T10:00:00Z'),
    issuedAt: start + 3_600_000,
    ...(sale.kind === 'renewal' ? { base: { plan: 'pro', planName: 'Pro', priceCents: 2900 } } : { purchase: { credits: sale.credits } }),
  });
  await runActivity(acts.markInvoicePaid, { invoiceId: invoice.id, paymentIntentId: reference, paidAt: start + 3_700_000 });
  const { file } = await runActivity(acts.finalizeInvoice, { invoiceId: invoice.id });
  return pdftotextLines(readFileSync(file));
}

/** Each expected line is a whole line of the text, in this order (other lines may come between). */
function expectLinesInOrder(lines: string[], expected: string[]): void {
  let from = 0;
  for (const line of expected) {
    const at = lines.indexOf(line, from);
    expect(at, `'${line}' as a whole line after line ${from} of:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    from = at + 1;
  }
}

/** A payment reference is printed whole: every line mentioning its start holds all of it. */
function expectUnbroken(lines: string[], reference: string): void {
  const mentions = lines.filter((l) => l.includes(reference.slice(0, 6)));
  expect(mentions.length).toBeGreaterThan(0);
  for (const l of mentions) expect(l).toContain(reference);
}

describe('invoice PDFs read with pdftotext', () => {
  it('a German business customer: address in German order with the country name, both VAT IDs, German VAT', async () => {
    const reference = 'pi_3QxYzAbCdEfGhIjKlMnOpQrS';
    const lines = await deliveredInvoiceText(
      {
        name: 'Beispiel GmbH',
        billingAddress: { country: 'DE', line1: 'Invalidenstraße 117', postalCode: '10115', city: 'Berlin', taxId: 'DE136695976' },
      },
      { kind: 'renewal' },
      reference,
    );
    expectLinesInOrder(lines, ['Loupe Factory B.V.', 'Herengracht 1', '1015 BA Amsterdam', 'Netherlands', 'VAT ID: NL004495445B01']);
    expectLinesInOrder(lines, ['Beispiel GmbH', 'Invalidenstraße 117', '10115 Berlin', 'Germany', 'VAT ID: DE136695976']);
    expect(lines).not.toContain('DE'); // the country by its name, not its code
    expect(lines).not.toContain('Berlin, 10115');
    expectLinesInOrder(lines, ['Billing period', 'Plan', 'Payment reference', reference]);
    expect(lines).toContain('Pro, $29.00 / month');
    expect(lines).toContain('Tax: USt 19%');
    expectUnbroken(lines, reference);
  });

  it('a US customer buying credits: US address order, its EIN, what was bought, no plan and no billing period', async () => {
    const reference = 'pi_3ZyXwVuTsRqPoNmLkJiHgFeD';
    const lines = await deliveredInvoiceText(
      {
        name: 'Acme Analytics, Inc.',
        billingAddress: { country: 'US', region: 'CA', line1: '500 Howard St', postalCode: '94105', city: 'San Francisco', taxId: '04-2103594' },
      },
      { kind: 'credit_purchase', credits: 5000 },
      reference,
    );
    expectLinesInOrder(lines, ['Acme Analytics, Inc.', '500 Howard St', 'San Francisco, CA 94105', 'United States', 'Tax ID: 04-2103594']);
    expect(lines).not.toContain('US');
    expect(lines).toContain('5,000 credits at $0.01 per credit');
    expect(lines).toContain('Never expire');
    expect(lines).toContain('$50.00');
    // Not "Plan Free, $0.00 / month", and no billing period for credits that never expire.
    expect(lines).not.toContain('Plan');
    expect(lines.filter((l) => l.includes('/ month'))).toEqual([]);
    expect(lines).not.toContain('Billing period');
    expect(lines.filter((l) => l.startsWith('A billing period runs'))).toEqual([]);
    expectUnbroken(lines, reference);
  });
});
