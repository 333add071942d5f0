// When the main loop wakes up next (no Temporal): the end of the term, the end
// of retention (the purge), or an earlier dunning retry.
import { iso } from '../format';
import type { WorkspaceState } from '../state';
import { nextDunningRetry } from './dunning';
import { currentTerm } from './terms';

export interface WakeUp {
  at: number;
  reason: 'term_end' | 'dunning_retry' | 'retention_purge';
  /** The timer's summary in the history. */
  summary: string;
}

/**
 * Subscribed: the term end or an earlier retry. In retention: the purge or an
 * earlier retry, when retention collects debt (`collectsInRetention`: histories
 * since RETENTION_COLLECTS_DEBT); older runs wait for the purge only.
 */
export function nextWakeUp(s: WorkspaceState, collectsInRetention: boolean): WakeUp {
  const retention = s.phase === 'retention';
  const until = retention ? s.retentionUntil! : currentTerm(s).end;
  const retry = retention && !collectsInRetention ? null : nextDunningRetry(s.unpaid);
  if (retry !== null && retry < until) return { at: retry, reason: 'dunning_retry', summary: `Wait for payment retry ${iso(retry)}` };
  return retention
    ? { at: until, reason: 'retention_purge', summary: `Retention: purge data at ${iso(until)} unless re-subscribed` }
    : { at: until, reason: 'term_end', summary: `Wait for term ${s.termIndex} to end ${iso(until)}` };
}
