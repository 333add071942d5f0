import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { formatPeriod } from '../../src/domain/dates';
import { computeInvoice, type InvoiceDocument, type InvoiceStatus } from '../../src/domain/invoice';
import { formatUsd } from '../../src/domain/money';
import { pageSizeFor, renderInvoicePdf, type PageSize } from '../../src/invoices/pdf';
import { pdfPagesText, writePdfArtifact } from '../helpers/pdf';

const pricing = loadPricing();
const utc = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;
const term = { start: utc('2025-04-01T09:30:00Z'), end: utc('2025-05-01T09:30:00Z') };
const previous = { start: utc('2025-03-01T09:30:00Z'), end: term.start };
const address = { country: 'US', region: 'CA', city: 'San Francisco', postalCode: '94105', line1: '500 Howard St, Floor 3' };

const amounts = computeInvoice(
  {
    key: 'renewal:ws-pdf:1',
    workspaceId: 'ws-pdf',
    kind: 'renewal',
    periodStart: term.start,
    periodEnd: term.end,
    issuedAt: term.start,
    base: { plan: 'growth', planName: 'Growth', priceCents: 24_900 },
    upgrade: { fromPlan: 'pro', toPlan: 'growth', fromPriceCents: 2900, toPriceCents: 24_900, termStart: term.start, termEnd: term.end, at: term.start + 14 * DAY },
    purchase: { credits: 5000 },
    overage: { credits: 1234, periodStart: previous.start, periodEnd: previous.end },
  },
  pricing,
  address,
);

const invoice = (status: InvoiceStatus, extra: Partial<InvoiceDocument> = {}): InvoiceDocument => ({
  id: '5f1c7a1e-0000-4000-8000-000000000001',
  number: 'INV-2025-000042',
  kind: 'renewal',
  status,
  workspaceId: 'ws-pdf',
  currency: 'usd',
  periodStart: term.start,
  periodEnd: term.end,
  issuedAt: term.start,
  paidAt: null,
  paymentReference: null,
  paymentFailure: null,
  statusNote: null,
  customer: { name: 'Acme Analytics, Inc.', billingEmail: 'ap@acme.example', billingAddress: address },
  seller: { name: 'Loupe Factory, Inc.', address: ['1 Market Street, Suite 300', 'San Francisco, CA 94105', 'United States', 'Tax ID US 12-3456789'] },
  ...amounts,
  plan: amounts.plan,
  totalCents: amounts.totalCents,
  ...extra,
});

async function renderAndRead(inv: InvoiceDocument, size: PageSize, artifact: string) {
  const bytes = await renderInvoicePdf(inv, size);
  const { png } = writePdfArtifact(artifact, bytes);
  const pages = await pdfPagesText(bytes);
  // Wrapped table cells become several text lines: compare with whitespace collapsed.
  return { bytes, text: pages.join('\n').replace(/\s+/g, ' '), pages, png };
}

describe('invoice PDF', () => {
  it.each(['LETTER', 'A4'] as const)('on %s shows number, period, every line, tax and total', async (size) => {
    const { text, pages, png } = await renderAndRead(invoice('open'), size, `invoice-${size.toLowerCase()}-due`);
    expect(pages).toHaveLength(1);
    for (const expected of [
      'INVOICE',
      'INV-2025-000042',
      formatPeriod(term.start, term.end), // billing period
      'Loupe Factory, Inc.',
      'Tax ID US 12-3456789',
      'Acme Analytics, Inc.',
      'ap@acme.example',
      '500 Howard St, Floor 3',
      'San Francisco, CA 94105',
      'Growth, $249.00 / month', // plan and base cost
      'Growth plan, monthly base fee (in advance)',
      'Upgrade Pro → Growth: $220.00 monthly difference × 16/30 days',
      '5,000 credits at $0.01 per credit',
      'Never expire', // the purchase line's period: credits never expire
      '5,000',
      'On-demand overage credits (in arrears)',
      '1,234',
      formatPeriod(previous.start, previous.end), // the overage line's period
      formatUsd(24_900),
      formatUsd(11_733),
      formatUsd(5000),
      formatUsd(1234),
      `Subtotal ${formatUsd(amounts.subtotalCents)}`,
      `Tax: CA sales tax 7.25% ${formatUsd(amounts.tax.amountCents)}`,
      `Total (USD) ${formatUsd(amounts.totalCents)}`,
      'DUE',
    ]) {
      expect(text).toContain(expected);
    }
    expect(amounts.totalCents).toBe(45_975); // 42,867 + 7.25% tax (3,107.86 -> 3,108)
    if (png) console.log(`[pdf] page 1 rendered to ${png}`);
  });

  it('paid: says PAID with the payment reference and the date', async () => {
    const { text } = await renderAndRead(
      invoice('paid', { paidAt: term.start + 3_600_000, paymentReference: 'pi_3PaidReference123' }),
      'LETTER',
      'invoice-letter-paid',
    );
    expect(text).toContain('PAID');
    expect(text).toContain('pi_3PaidReference123');
    expect(text).toContain('Paid in full on Apr 1, 2025');
    expect(text).toContain(`Amount due $0.00`);
  });

  it('payment failed: says so with Stripe’s reason', async () => {
    const { text } = await renderAndRead(
      invoice('payment_failed', { paymentReference: 'pi_3Declined', paymentFailure: { code: 'generic_decline', reason: 'Your card was declined.' } }),
      'A4',
      'invoice-a4-payment-failed',
    );
    expect(text).toContain('PAYMENT FAILED');
    expect(text).toContain('Your card was declined.');
  });

  it('embeds its font (DejaVu Sans), so it renders the same everywhere', async () => {
    const bytes = await renderInvoicePdf(invoice('open'), 'A4');
    const raw = bytes.toString('latin1');
    expect(raw).toContain('/FontFile2'); // an embedded TrueType program
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
    expect(raw).not.toContain('/Helvetica');
  });

  it('renders the same bytes for the same invoice state', async () => {
    const a = await renderInvoicePdf(invoice('open'), 'A4');
    const b = await renderInvoicePdf(invoice('open'), 'A4');
    expect(a.equals(b)).toBe(true);
  });

  it('continues the line table on a second page when it has to', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...amounts.lines[2]!, description: `Purchased credits, batch ${i + 1}` }));
    const { pages } = await renderAndRead(invoice('open', { lines: many }), 'LETTER', 'invoice-letter-long');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.join('\n')).toContain('Purchased credits, batch 40');
    expect(pages.at(-1)).toContain(`Page ${pages.length} of ${pages.length}`);
  });

  it('picks Letter for North America and A4 elsewhere', () => {
    expect(pageSizeFor('US')).toBe('LETTER');
    expect(pageSizeFor('ca')).toBe('LETTER');
    expect(pageSizeFor('DE')).toBe('A4');
  });
});
