import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBelowLowThreshold, overageRoom, splitCost } from '../../src/domain/consumption';

const off = { enabled: false, monthlyLimit: 0 };
const unlimited = { enabled: true, monthlyLimit: 0 };
const capped = (monthlyLimit: number) => ({ enabled: true, monthlyLimit });

describe('splitCost: plan, then purchased, then overage', () => {
  it.each([
    // cost, plan, purchased, onDemand, overageUsed -> plan, purchased, overage, shortfall
    [1, 25, 0, off, 0, [1, 0, 0, 0]],
    [5, 3, 10, off, 0, [3, 2, 0, 0]],
    [5, 0, 10, off, 0, [0, 5, 0, 0]],
    [5, 2, 2, off, 0, [2, 2, 0, 1]],
    [1, 0, 0, off, 0, [0, 0, 0, 1]],
    [5, 2, 2, unlimited, 1_000_000, [2, 2, 1, 0]],
    [5, 0, 0, capped(1000), 998, [0, 0, 2, 3]],
    [2, 0, 0, capped(1000), 998, [0, 0, 2, 0]],
    [1, 0, 0, capped(1000), 1000, [0, 0, 0, 1]],
    [1, 0, 0, capped(10), 25, [0, 0, 0, 1]], // limit lowered below what was used
    [0, 0, 0, off, 0, [0, 0, 0, 0]],
    [250, 100, 100, capped(1000), 0, [100, 100, 50, 0]],
  ])('cost %i from plan %i, purchased %i, on-demand %o (used %i)', (cost, plan, purchased, onDemand, overageUsed, want) => {
    const split = splitCost({ cost, balance: { plan, purchased }, onDemand, overageUsed });
    expect([split.plan, split.purchased, split.overage, split.shortfall]).toEqual(want);
  });

  it('always accounts for the whole cost and never overdraws a bucket', () => {
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.nat(10_000),
        fc.nat(10_000),
        fc.boolean(),
        fc.nat(2_000),
        fc.nat(3_000),
        (cost, plan, purchased, enabled, monthlyLimit, overageUsed) => {
          const onDemand = { enabled, monthlyLimit };
          const s = splitCost({ cost, balance: { plan, purchased }, onDemand, overageUsed });
          expect(s.plan + s.purchased + s.overage + s.shortfall).toBe(cost);
          expect(s.plan).toBeLessThanOrEqual(plan);
          expect(s.purchased).toBeLessThanOrEqual(purchased);
          expect(s.overage).toBeLessThanOrEqual(overageRoom(onDemand, overageUsed));
          // a later bucket is touched only when the earlier ones are empty
          if (s.purchased > 0) expect(s.plan).toBe(plan);
          if (s.overage + s.shortfall > 0) expect(s.plan + s.purchased).toBe(plan + purchased);
          for (const v of Object.values(s)) expect(v).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });

  it('rejects a negative or fractional cost', () => {
    expect(() => splitCost({ cost: -1, balance: { plan: 1, purchased: 0 }, onDemand: off, overageUsed: 0 })).toThrow(RangeError);
    expect(() => splitCost({ cost: 0.5, balance: { plan: 1, purchased: 0 }, onDemand: off, overageUsed: 0 })).toThrow(RangeError);
  });
});

describe('overageRoom', () => {
  it.each([
    [off, 0, 0],
    [unlimited, 5_000, Number.POSITIVE_INFINITY],
    [capped(1000), 0, 1000],
    [capped(1000), 400, 600],
    [capped(1000), 1200, 0],
  ])('%o with %i used -> %d', (onDemand, used, room) => {
    expect(overageRoom(onDemand, used)).toBe(room);
  });
});

describe('isBelowLowThreshold', () => {
  it.each([
    // totalAfter, planCredits, threshold, percent -> below
    [3, 25, null, 10, false], // 10% of 25 = 2.5
    [2, 25, null, 10, true],
    [10, 100, null, 10, false],
    [9, 100, null, 10, true],
    [0, 0, null, 10, false], // a zero allocation has nothing to fall below
    [49, 100, 50, 10, true], // explicit threshold in credits wins
    [50, 100, 50, 10, false],
    [0, 100, 0, 10, false], // threshold 0 = never
  ])('%i left of %i (threshold %s, %i%%) -> %s', (totalAfter, planCredits, threshold, defaultPercent, below) => {
    expect(isBelowLowThreshold({ totalAfter, planCredits, threshold, defaultPercent })).toBe(below);
  });
});
