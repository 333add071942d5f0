import { describe, expect, it } from 'vitest';
import { cell, invoiceRow, fieldRows } from '../../src/cli/readable';

const view = {
  id: 'acme',
  plan: 'pro',
  term: { start: '2026-12-03T02:00:00.000Z', end: '2027-01-03T02:00:00.000Z' },
  balance: { plan: 80, purchased: 100, total: 180 },
  overage: { enabled: true, monthlyLimit: 50, used: 3 },
  disabledFeatures: [],
  cancelAt: null,
  scheduledChange: { plan: 'starter', effectiveAt: '2027-01-03T02:00:00.000Z' },
};

describe('the CLI shows answers in words, not JSON', () => {
  it('term, balance by bucket and overage read as sentences', () => {
    const rows = Object.fromEntries(fieldRows(view).map((r) => [r.field, r.value]));
    expect(rows).toEqual({
      id: 'acme',
      plan: 'pro',
      term: '2026-12-03T02:00:00.000Z to 2027-01-03T02:00:00.000Z',
      balance: '180 credits (plan 80, purchased 100)',
      overage: 'on, 3 of 50 credits used this term',
      disabledFeatures: 'none',
      cancelAt: '-',
      scheduledChange: 'plan starter, effectiveAt 2027-01-03T02:00:00.000Z',
    });
    expect(fieldRows({ overage: { enabled: false, monthlyLimit: 0, used: 0 } })).toEqual([{ field: 'overage', value: 'off (0 used)' }]);
    for (const r of fieldRows(view)) expect(r.value).not.toMatch(/[{}"]/);
  });

  it('cells: lists comma-separated, nested objects as key value pairs', () => {
    expect(cell(['chat', 'search'])).toBe('chat, search');
    expect(cell({ code: 'card_declined', reason: 'Your card was declined.' })).toBe('code card_declined, reason Your card was declined.');
    expect(cell(undefined)).toBe('-');
    expect(cell(0)).toBe('0');
  });

  it('an invoice in a list: number first', () => {
    expect(
      invoiceRow({ id: 'u', number: 'INV-2026-000004', kind: 'credit_purchase', status: 'paid', issuedAt: '2026-12-03T02:00:00.000Z', totalCents: 119, lines: [] }),
    ).toEqual({ number: 'INV-2026-000004', kind: 'credit_purchase', status: 'paid', issuedAt: '2026-12-03T02:00:00.000Z', totalCents: 119, id: 'u' });
  });
});
