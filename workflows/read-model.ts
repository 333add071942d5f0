// What the outside sees of a workspace: the read-model row (syncWorkspace),
// the search attributes and the current details ops read in the Temporal UI.
import { patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { renewalTerms } from '../src/domain/workspace';
import { glanceLines } from './account-glance';
import { BillingBlocked, BillingPlan, BillingStatus, BillingTermEnd, BillingWorkspaceId } from './search-attributes';
import { BLOCKED_VISIBLE } from './patches';
import { iso, day } from './format';
import type { BillingContext } from './billing-context';

export async function sync(b: BillingContext, summary: string): Promise<void> {
  await b.act(summary).syncWorkspace(nextReadModel(b));
  publish(b);
}

/** The snapshot to write next, with its version: increasing, and never below the workflow clock, so it also beats rows an older run or an earlier workflow of this id wrote (the read model keeps the newest). */
export function nextReadModel(b: BillingContext): ReturnType<BillingContext['snapshot']> & { syncVersion: number } {
  b.s.syncVersion = Math.max((b.s.syncVersion ?? 0) + 1, Date.now());
  return { ...b.snapshot(), syncVersion: b.s.syncVersion };
}

/** Search attributes and the UI's current details: how ops find and read the account. */
export function publish(b: BillingContext): void {
  const term = b.term();
  upsertSearchAttributes([
    { key: BillingWorkspaceId, value: b.id },
    { key: BillingPlan, value: b.s.plan },
    { key: BillingStatus, value: b.s.status },
    { key: BillingTermEnd, value: new Date(term.end) },
    ...(patched(BLOCKED_VISIBLE) ? [{ key: BillingBlocked, value: b.blocked !== null }] : []),
  ]);
  showDetails(b);
}

/**
 * The UI's current details alone. Not a command (replay-safe anywhere): a
 * run continued-as-new shows them before its first activity, as they are
 * not carried over.
 */
export function showDetails(b: BillingContext): void {
  const term = b.term();
  const lines = [
    b.blocked ? `**BLOCKED**, retrying: ${b.blocked}` : null,
    `**${b.id}**: ${b.s.plan} plan, **${b.s.status}**`,
    `Term ${term.index}: ${day(term.start)} to ${day(term.end)}`,
    b.s.scheduledChange ? `Scheduled: switch to ${b.s.scheduledChange.plan} at renewal` : null,
    retiredPlan(b) ? `Plan '${b.s.plan}' is no longer in the pricing catalog: renews on its last terms (${b.s.planCredits} credits, ${b.s.planPriceCents} cents)` : null,
    b.s.cancelAt ? `Cancels at ${iso(b.s.cancelAt)}` : null,
    b.s.retentionUntil ? `Data purge at ${iso(b.s.retentionUntil)}` : null,
    ...glanceLines(b.s.glance, { ...b.s, termIndex: term.index }),
    b.s.disabledFeatures.length ? `Disabled features: ${b.s.disabledFeatures.join(', ')}` : null,
  ];
  setCurrentDetails(lines.filter((l) => l !== null).join('\n\n'));
}

/** True when the workspace's plan left the catalog (it keeps its last terms): shown to ops. */
export function retiredPlan(b: BillingContext): boolean {
  if (!b.pricing || b.s.phase === 'deleted') return false;
  const last = { monthlyCredits: b.s.planCredits, monthlyPriceCents: b.s.planPriceCents };
  return renewalTerms(b.pricing, b.s.plan, b.s.enterprise, last).retired;
}
