// Settings that change the account inside its term (SPEC rules 4, 10 and
// 11), decided without Temporal: each is set on the state and written to the
// read model, where the usage path reads it.
import { normalizeFeature } from '../../src/domain/features';
import type { OnDemandSettings } from '../../src/domain/workspace';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';

/** On-demand use beyond the plan's credits: on or off, with a monthly limit (0 = none). */
export function onDemandSteps(settings: OnDemandSettings): Steps {
  const onDemand = { enabled: settings.enabled, monthlyLimit: settings.monthlyLimit };
  return [
    { kind: 'update-state', patch: { onDemand } },
    { kind: 'sync', summary: `On-demand ${settings.enabled ? `on, limit ${settings.monthlyLimit || 'unlimited'}` : 'off'}` },
  ];
}

/** The features switched off, one spelling each (usage is checked in the same spelling), sorted. */
export function disabledFeaturesAfter(s: Pick<WorkspaceState, 'disabledFeatures'>, req: { feature: string; enabled: boolean }): string[] {
  const feature = normalizeFeature(req.feature);
  const others = s.disabledFeatures.filter((f) => f !== feature);
  return req.enabled ? others : [...others, feature].sort();
}

export function featureSteps(s: Pick<WorkspaceState, 'disabledFeatures'>, req: { feature: string; enabled: boolean }): Steps {
  return [
    { kind: 'update-state', patch: { disabledFeatures: disabledFeaturesAfter(s, req) } },
    { kind: 'sync', summary: `Feature ${normalizeFeature(req.feature)} ${req.enabled ? 'enabled' : 'disabled'}` },
  ];
}

/** Rule 11: the low-balance threshold in credits; null = the default share of the plan. */
export function lowBalanceThresholdSteps(threshold: number | null): Steps {
  return [
    { kind: 'update-state', patch: { lowBalanceThreshold: threshold } },
    { kind: 'sync', summary: threshold === null ? 'Low-balance threshold: default' : `Low-balance threshold: ${threshold} credits` },
  ];
}
