// Settings changed inside the term, decided without Temporal: on-demand use,
// features switched off, the low-balance threshold; each set on the state and
// written to the read model.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeFeature } from '../../src/domain/features';
import { disabledFeaturesAfter, featureSteps, lowBalanceThresholdSteps, onDemandSteps } from '../../workflows/decisions/account-settings';

describe('account settings', () => {
  it('on-demand: the settings, then the read model, labelled with the limit', () => {
    expect(onDemandSteps({ enabled: true, monthlyLimit: 500 })).toEqual([
      { kind: 'update-state', patch: { onDemand: { enabled: true, monthlyLimit: 500 } } },
      { kind: 'sync', summary: 'On-demand on, limit 500' },
    ]);
    expect(onDemandSteps({ enabled: true, monthlyLimit: 0 }).at(-1)).toEqual({ kind: 'sync', summary: 'On-demand on, limit unlimited' });
    expect(onDemandSteps({ enabled: false, monthlyLimit: 9 }).at(-1)).toEqual({ kind: 'sync', summary: 'On-demand off' });
  });

  it('only the two settings are kept (nothing else a request carries)', () => {
    const extra = { enabled: true, monthlyLimit: 5, note: 'x' } as unknown as { enabled: boolean; monthlyLimit: number };
    expect(onDemandSteps(extra)[0]).toEqual({ kind: 'update-state', patch: { onDemand: { enabled: true, monthlyLimit: 5 } } });
  });

  it('a feature switched off is listed once in one spelling, sorted; switched on it leaves the list', () => {
    const s = { disabledFeatures: ['search'] };
    expect(featureSteps(s, { feature: 'AI_Assist', enabled: false })).toEqual([
      { kind: 'update-state', patch: { disabledFeatures: [normalizeFeature('AI_Assist'), 'search'].sort() } },
      { kind: 'sync', summary: `Feature ${normalizeFeature('AI_Assist')} disabled` },
    ]);
    expect(featureSteps(s, { feature: 'search', enabled: true })[0]).toEqual({ kind: 'update-state', patch: { disabledFeatures: [] } });
  });

  it('the low-balance threshold, or back to the default', () => {
    expect(lowBalanceThresholdSteps(40)).toEqual([
      { kind: 'update-state', patch: { lowBalanceThreshold: 40 } },
      { kind: 'sync', summary: 'Low-balance threshold: 40 credits' },
    ]);
    expect(lowBalanceThresholdSteps(null).at(-1)).toEqual({ kind: 'sync', summary: 'Low-balance threshold: default' });
  });

  it('any sequence of switches leaves each feature off exactly when its last switch was off, once, sorted (property)', () => {
    const name = fc.constantFrom('ai_assist', 'AI_ASSIST', 'search', 'Search', 'export', 'chat');
    fc.assert(
      fc.property(fc.array(fc.record({ feature: name, enabled: fc.boolean() }), { maxLength: 20 }), (switches) => {
        let disabled: string[] = [];
        for (const sw of switches) disabled = disabledFeaturesAfter({ disabledFeatures: disabled }, sw);
        const last = new Map(switches.map((sw) => [normalizeFeature(sw.feature), sw.enabled]));
        expect(disabled).toEqual([...last].filter(([, on]) => !on).map(([f]) => f).sort());
      }),
    );
  });
});
