// The README Tour's reader (test/helpers/readme-tour.ts) without a server: how
// a sample answer is compared with a real one, and that every step of the
// README's Tour shows the answer a reader should see.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { readTour, sampleMismatches } from '../helpers/readme-tour';

const answer = JSON.stringify({
  id: 'purchase:acme:buy-1',
  credits: 500,
  status: 'paid',
  invoiceId: 'c1fc3a6e-f5e5-43f3-915a-a0ed6ade323c',
  invoiceNumber: 'INV-2027-000001',
  totalCents: 520,
  at: '2027-01-03T06:52:03.606Z',
  balance: { plan: 0, total: 500 },
});

describe('a Tour sample answer against the real answer', () => {
  it('agrees when it has the same keys and the same run-independent values, whatever the ids, numbers of the year and instants', () => {
    const sample = `{
  "id": "purchase:acme:buy-1", "credits": 500, "status": "paid",
  "invoiceId": "b405dd76-fe71-4c33-a0c5-7f00e8a60f1d", "invoiceNumber": "INV-2026-000009",
  "totalCents": 520, "at": "2026-12-03T03:07:50.145Z",
  "balance": {"plan": 0, "total": 500}
}`;
    expect(sampleMismatches(sample, answer)).toEqual([]);
  });

  it('names a key the answer has that the sample leaves out, and one the answer lacks', () => {
    const sample = '{"id": "purchase:acme:buy-1", "credits": 500, "status": "paid", "invoiceId": "b405dd76-fe71-4c33-a0c5-7f00e8a60f1d", "at": "2026-12-03T03:07:50.145Z", "balance": {"plan": 0, "total": 500}, "amountCents": 500}';
    expect(sampleMismatches(sample, answer)).toEqual([
      'the sample shows "amountCents", the answer has no such key',
      'the answer has "invoiceNumber", the sample leaves it out',
      'the answer has "totalCents", the sample leaves it out',
    ]);
  });

  it('lets a sample trimmed with … leave keys out, but not show keys the answer lacks', () => {
    expect(sampleMismatches('{"id": "purchase:acme:buy-1", "balance": {…}, …}', answer)).toEqual([]);
    expect(sampleMismatches('{"id": "purchase:acme:buy-1", "scheduledChange": null, …}', answer)).toEqual(['the sample shows "scheduledChange", the answer has no such key']);
  });

  it('names a count, amount or code that differs', () => {
    expect(sampleMismatches('{"credits": 400, "status": "open", "totalCents": 520, …}', answer)).toEqual(['the sample says credits: 400, the answer does not', 'the sample says status: "open", the answer does not']);
  });
});

describe("the README's Tour", () => {
  const tour = readTour(readFileSync(path.join(projectRoot, 'README.md'), 'utf8'));

  it('shows the answer of every step that prints one', () => {
    const silent = tour.steps.filter((s) => s.sample === undefined).map((s) => s.script);
    // Only the loop that spends the remaining credits sends its answers to /dev/null.
    expect(silent).toHaveLength(1);
    expect(silent[0]).toContain('-o /dev/null');
  });
});
