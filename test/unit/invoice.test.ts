import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { formatDate, formatPeriod } from '../../src/domain/dates';
import { computeInvoice, type IssueInvoiceInput } from '../../src/domain/invoice';
import { formatInvoiceNumber, invoiceYear } from '../../src/domain/invoice-number';

const pricing = loadPricing();
const utc = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

const term = { start: utc('2025-04-01T09:30:00Z'), end: utc('2025-05-01T09:30:00Z') };
const previousTerm = { start: utc('2025-03-01T09:30:00Z'), end: term.start };
const renewal = (extra: Partial<IssueInvoiceInput> = {}): IssueInvoiceInput => ({
  key: 'renewal:ws-1:3',
  workspaceId: 'ws-1',
  kind: 'renewal',
  periodStart: term.start,
  periodEnd: term.end,
  issuedAt: term.start,
  base: { plan: 'growth', planName: 'Growth', priceCents: 24_900 },
  ...extra,
});

describe('invoice computation (SPEC 5)', () => {
  it('carried-forward totals are billed tax included: outside the taxed subtotal, in the total', () => {
    const carried = [
      { number: 'INV-2025-000007', totalCents: 32, periodStart: previousTerm.start, periodEnd: previousTerm.end },
      { number: 'INV-2025-000009', totalCents: 11, periodStart: previousTerm.start, periodEnd: previousTerm.end },
    ];
    const invoice = computeInvoice(renewal(), pricing, { country: 'US', region: 'CA' }, carried);
    expect(invoice.subtotalCents).toBe(24_900);
    expect(invoice.tax.amountCents).toBe(1805); // 7.25% of the base fee only (1805.25)
    expect(invoice.carriedForwardCents).toBe(43);
    expect(invoice.totalCents).toBe(24_900 + 1805 + 43);
    expect(invoice.lines.slice(1).map((l) => [l.kind, l.amountCents, l.description])).toEqual([
      ['carried_forward', 32, expect.stringContaining('Carried forward from INV-2025-000007')],
      ['carried_forward', 11, expect.stringContaining('Carried forward from INV-2025-000009')],
    ]);
    expect(computeInvoice(renewal(), pricing, { country: 'US', region: 'CA' }).carriedForwardCents).toBe(0);
  });

  it('an invoice with every line kind: base fee, upgrade proration, purchase, overage; tax by address', () => {
    const invoice = computeInvoice(
      renewal({
        upgrade: {
          fromPlan: 'pro',
          toPlan: 'growth',
          fromPriceCents: 2900,
          toPriceCents: 24_900,
          termStart: term.start,
          termEnd: term.end,
          at: term.start + 14 * DAY,
        },
        purchase: { credits: 1000 },
        overage: { credits: 1234, periodStart: previousTerm.start, periodEnd: previousTerm.end },
      }),
      pricing,
      { country: 'US', region: 'CA', postalCode: '94105' },
    );
    expect(invoice.lines.map((l) => [l.kind, l.quantity, l.unitAmountCents, l.amountCents])).toEqual([
      ['base_fee', 1, 24_900, 24_900],
      ['upgrade_proration', 1, 11_733, 11_733], // 22000 * 16/30
      ['credit_purchase', 1000, 1, 1000],
      ['overage', 1234, 1, 1234],
    ]);
    expect(invoice.lines[0]).toMatchObject({ periodStart: term.start, periodEnd: term.end });
    expect(invoice.lines[1]).toMatchObject({ periodStart: term.start + 14 * DAY, periodEnd: term.end });
    expect(invoice.lines[1]!.description).toBe('Upgrade Pro → Growth: $220.00 monthly difference × 16/30 days');
    expect(invoice.lines[3]).toMatchObject({ periodStart: previousTerm.start, periodEnd: previousTerm.end });
    expect(invoice.subtotalCents).toBe(38_867);
    expect(invoice.tax).toEqual({ name: 'CA sales tax 7.25%', rateBps: 725, amountCents: 2818 }); // 2817.86
    expect(invoice.totalCents).toBe(41_685);
    expect(invoice.plan).toEqual({ id: 'growth', name: 'Growth', priceCents: 24_900 });
  });

  it('a renewal bills the new term in advance and the previous term overage in arrears', () => {
    const invoice = computeInvoice(
      renewal({ base: { plan: 'pro', planName: 'Pro', priceCents: 2900 }, overage: { credits: 500, ...{ periodStart: previousTerm.start, periodEnd: previousTerm.end } } }),
      pricing,
      { country: 'DE' },
    );
    expect(invoice.lines.map((l) => l.kind)).toEqual(['base_fee', 'overage']);
    expect(invoice.subtotalCents).toBe(3400);
    expect(invoice.tax.amountCents).toBe(646); // 19%
    expect(invoice.totalCents).toBe(4046);
  });

  it('leaves out an overage line for zero overage credits', () => {
    const invoice = computeInvoice(renewal({ overage: { credits: 0, periodStart: previousTerm.start, periodEnd: previousTerm.end } }), pricing, {
      country: 'JP',
    });
    expect(invoice.lines.map((l) => l.kind)).toEqual(['base_fee']);
    expect(invoice.tax).toEqual({ name: 'No tax', rateBps: 0, amountCents: 0 });
  });

  it('a final invoice without overage totals zero (issued, not charged)', () => {
    const invoice = computeInvoice(
      { key: 'final:ws-1:3', workspaceId: 'ws-1', kind: 'final', periodStart: term.start, periodEnd: term.end, issuedAt: term.end },
      pricing,
      { country: 'DE' },
    );
    expect(invoice).toMatchObject({ lines: [], subtotalCents: 0, totalCents: 0, plan: null });
  });

  it('a credit purchase costs $0.01 per credit: 1,000 credits = $10.00 before tax', () => {
    const invoice = computeInvoice(
      { key: 'purchase:ws-1:p1', workspaceId: 'ws-1', kind: 'credit_purchase', periodStart: term.start, periodEnd: term.end, issuedAt: term.start, purchase: { credits: 1000 } },
      pricing,
      { country: 'GB' },
    );
    expect(invoice).toMatchObject({ subtotalCents: 1000, tax: { amountCents: 200 }, totalCents: 1200 });
  });

  it.each([
    ['a renewal without a base fee', { kind: 'renewal', base: undefined }, /needs 'base'/],
    ['an upgrade without upgrade terms', { kind: 'upgrade', base: undefined }, /needs 'upgrade'/],
    ['a purchase of 99 credits', { kind: 'credit_purchase', purchase: { credits: 99 } }, /100\.\.100000/],
    ['a purchase of 100,001 credits', { kind: 'credit_purchase', purchase: { credits: 100_001 } }, /100\.\.100000/],
    ['a fractional purchase', { kind: 'credit_purchase', purchase: { credits: 150.5 } }, /100\.\.100000/],
    ['negative overage', { overage: { credits: -1, periodStart: previousTerm.start, periodEnd: previousTerm.end } }, /non-negative/],
    ['an empty period', { periodEnd: term.start }, /billing period/],
    ['an unknown kind', { kind: 'refund' }, /unknown invoice kind/],
  ])('rejects %s', (_name, patch, message) => {
    expect(() => computeInvoice(renewal(patch as Partial<IssueInvoiceInput>), pricing, { country: 'US' })).toThrow(message);
  });
});

describe('invoice numbers and document dates', () => {
  it.each([
    [2025, 1, 'INV-2025-000001'],
    [2025, 42, 'INV-2025-000042'],
    [2031, 999_999, 'INV-2031-999999'],
  ])('year %i, sequence %i -> %s', (year, seq, text) => expect(formatInvoiceNumber(year, seq)).toBe(text));

  it.each([0, 1_000_000, 1.5])('refuses sequence %s', (seq) => expect(() => formatInvoiceNumber(2025, seq)).toThrow(/sequence/));

  it('numbers by the UTC year of issue', () => {
    expect(invoiceYear(utc('2025-12-31T23:59:59.999Z'))).toBe(2025);
    expect(invoiceYear(utc('2026-01-01T00:00:00.000Z'))).toBe(2026);
  });

  it('prints dates in UTC', () => {
    expect(formatDate(utc('2025-03-01T00:30:00Z'))).toBe('Mar 1, 2025');
    expect(formatPeriod(term.start, term.end)).toBe('Apr 1 – May 1, 2025');
    expect(formatPeriod(utc('2025-12-15T00:00:00Z'), utc('2026-01-15T00:00:00Z'))).toBe('Dec 15, 2025 – Jan 15, 2026');
  });
});
