// Cancellation and retention (SPEC rule 12), decided without Temporal: a
// cancellation takes effect at the end of the term, can be withdrawn until
// then, and the data is purged when retention ends.
import { iso } from '../format';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';
import { currentTerm } from './terms';

/** Cancel: at the end of the current term; asking again changes nothing. */
export function cancelSteps(s: WorkspaceState): Steps {
  if (s.phase !== 'subscribed' || s.cancelAt !== null) return [];
  const cancelAt = currentTerm(s).end;
  return [{ kind: 'update-state', patch: { cancelAt } }, { kind: 'sync', summary: `Cancellation requested: ends ${iso(cancelAt)}` }];
}

/** Resume before the term ended: the cancellation is withdrawn (during retention resuming is a re-subscription instead). */
export function withdrawCancellationSteps(s: WorkspaceState): Steps {
  if (s.phase === 'retention' || s.cancelAt === null) return [];
  return [{ kind: 'update-state', patch: { cancelAt: null } }, { kind: 'sync', summary: 'Cancellation withdrawn' }];
}

/** At the end of retention: usage and ledger detail purged, the workspace deleted; nothing once it left retention. */
export function purgeSteps(s: WorkspaceState): Steps {
  if (s.phase !== 'retention') return [];
  return [
    { kind: 'purge-usage-data', key: `purge:${s.request.id}:${s.termIndex}` },
    { kind: 'update-state', patch: { status: 'deleted', phase: 'deleted' } },
    { kind: 'sync', summary: 'Mark workspace deleted' },
  ];
}
