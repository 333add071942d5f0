import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { planTerms } from '../../src/domain/pricing';

describe('pricing config', () => {
  const pricing = loadPricing();

  it('the checked-in default carries the SPEC catalog', () => {
    expect(planTerms(pricing, 'free')).toEqual({ monthlyCredits: 25, monthlyPriceCents: 0 });
    expect(planTerms(pricing, 'pro')).toEqual({ monthlyCredits: 100, monthlyPriceCents: 2900 });
    expect(planTerms(pricing, 'growth')).toEqual({ monthlyCredits: 1000, monthlyPriceCents: 24900 });
    expect(planTerms(pricing, 'enterprise', { monthlyCredits: 50_000, monthlyPriceCents: 900_000 })).toEqual({
      monthlyCredits: 50_000,
      monthlyPriceCents: 900_000,
    });
    expect(() => planTerms(pricing, 'enterprise')).toThrow(/custom enterprise terms/);
    expect(() => planTerms(pricing, 'platinum')).toThrow(/unknown plan/);
    expect(pricing.purchase).toEqual({ minCredits: 100, maxCredits: 100_000, centsPerCredit: 1 });
  });

  it('rejects an invalid override file with the reasons', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pricing-'));
    const file = path.join(dir, 'pricing.json');
    writeFileSync(file, JSON.stringify({ ...pricing, overage: { centsPerCredit: 0.5 } }));
    expect(() => loadPricing(file)).toThrow(/overage\/centsPerCredit/);
  });
});
