// What happens at the end of a term (SPEC rules 6, 7 and 12): the renewal
// into the next term, or, when the cancellation falls due, the end of the
// subscription and the start of retention.
import type { Term } from '../../src/domain/terms';
import { DAY_MS, RETENTION_DAYS } from '../../src/domain/workspace';
import { RETENTION_COLLECTS_DEBT } from '../patches';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';
import { termOf } from './terms';

type TermEndState = Pick<WorkspaceState, 'request' | 'anchor' | 'anchorTermIndex' | 'termIndex' | 'cancelAt'>;

/** The steps for the end of term `ending`; planned again from the state on every try of a blocked step. */
export function termEndSteps(s: TermEndState, ending: Term, ledgerInOneActivity = false): Steps {
  return s.cancelAt !== null && s.cancelAt <= ending.end ? endOfSubscriptionSteps(s) : renewalSteps(s, ending.index + 1, ledgerInOneActivity);
}

/**
 * Renewal into term `target`: adopt the next term's plan (once: a retry after
 * a failure part-way finds it adopted), open the term, read the ending term's
 * overage, bill base fee plus overage in advance, charge it (a decline leaves
 * it to dunning), deliver it, write the read model. With
 * `ledgerInOneActivity` (RENEWAL_LEDGER_IN_ONE_ACTIVITY) the term, overage,
 * invoice and read model are one activity and one transaction, written before
 * the charge; the PDF still comes after the charge (it says PAID), in the
 * same step, so a renewal that returned has delivered its invoice.
 */
export function renewalSteps(s: TermEndState, target: number, ledgerInOneActivity = false): Steps {
  const term = termOf(s, target);
  if (ledgerInOneActivity) {
    return [
      ...(s.termIndex < target ? [{ kind: 'adopt-next-term' as const, target }] : []),
      { kind: 'renew-term', term, previous: termOf(s, target - 1) },
      { kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'renewal' } },
      { kind: 'finalize-invoice' },
    ];
  }
  return [
    ...(s.termIndex < target ? [{ kind: 'adopt-next-term' as const, target }] : []),
    { kind: 'open-term', term },
    { kind: 'read-overage', termIndex: target - 1, final: false },
    { kind: 'issue-base-invoice', term, previous: termOf(s, target - 1) },
    { kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'renewal' } },
    { kind: 'finalize-invoice' },
    { kind: 'sync', summary: `Renewed into term ${target}` },
  ];
}

/**
 * Rule 12 at term end: the plan credits expire, AI access ends, retention
 * starts; the final term's overage is invoiced and charged, and stays
 * collectable when declined (RETENTION_COLLECTS_DEBT).
 */
export function endOfSubscriptionSteps(s: TermEndState): Steps {
  const term = termOf(s, s.termIndex);
  return [
    { kind: 'expire-plan-credits', termIndex: term.index, key: `cancel-expire:${s.request.id}:${term.index}` },
    { kind: 'update-state', patch: { status: 'cancelled', phase: 'retention', retentionUntil: term.end + RETENTION_DAYS * DAY_MS } },
    { kind: 'sync', summary: 'Cancelled at term end: AI access disabled' },
    { kind: 'read-overage', termIndex: term.index, final: true },
    { kind: 'issue-final-invoice', term },
    { kind: 'charge', onDecline: { then: 'record-unpaid', kind: 'final', onlyIfPatched: RETENTION_COLLECTS_DEBT } },
    { kind: 'finalize-invoice' },
  ];
}
