// Subscribing again during retention (SPEC rule 12), decided without
// Temporal: who may, and the steps of the new subscription (a new anchor,
// paid first; a declined payment voids its invoice and changes nothing).
import { FailureCodes } from '../../src/domain/failure-codes';
import type { EnterpriseTerms } from '../../src/domain/pricing';
import { addMonthsClamped } from '../../src/domain/terms';
import type { UnpaidInvoice } from '../definitions';
import type { WorkspaceState } from '../state';
import type { Steps } from './steps';
import { termOf } from './terms';

/** `collectsDebt`: runs since RETENTION_COLLECTS_DEBT, where unpaid invoices survive cancellation. */
export const owesBeforeResubscribing = (s: WorkspaceState, collectsDebt: boolean): boolean => collectsDebt && s.unpaid.length > 0;

/** Why the re-subscription is refused before anything is charged; null when it may go on. */
export function resubscribeRefusal(s: WorkspaceState, plan: string, terms: EnterpriseTerms, collectsDebt: boolean): { code: string; message: string } | null {
  if (terms.monthlyPriceCents > 0 && !s.paymentMethod) {
    return { code: FailureCodes.paymentMethodRequired, message: `plan '${plan}' costs money and no payment method is on file` };
  }
  if (owesBeforeResubscribing(s, collectsDebt) && !s.paymentMethod) {
    return { code: FailureCodes.paymentMethodRequired, message: 'unpaid invoices must be paid before subscribing again and no payment method is on file' };
  }
  return null;
}

/**
 * After every unpaid invoice was tried with the card on file: what stays
 * unpaid refuses the re-subscription with the amount due (invoices from
 * older runs without an amount count as 0) and the last decline reason;
 * null when everything was paid.
 */
export function unpaidDebtRefusal(unpaid: readonly UnpaidInvoice[]): { code: string; message: string; details: Record<string, unknown> } | null {
  if (unpaid.length === 0) return null;
  const amountDueCents = unpaid.reduce((sum, u) => sum + (u.totalCents ?? 0), 0);
  const invoiceIds = unpaid.map((u) => u.invoiceId);
  const reason = unpaid[0]!.lastReason;
  return {
    code: FailureCodes.paymentRequired,
    message: `${invoiceIds.length} unpaid invoice(s), ${amountDueCents} cents, must be paid before subscribing again: ${reason}`,
    details: { amountDueCents, invoiceIds, reason },
  };
}

/**
 * The new subscription, anchored `now` as the next workspace-wide term: its
 * first term is invoiced (keyed per request since RETENTION_COLLECTS_DEBT, so
 * a declined attempt's void invoice is never met again) and charged, then the
 * plan, anchor and status change, the term opens and the invoice is delivered.
 * Older runs wrote unpaid invoices off here.
 */
export function resubscribeSteps(
  s: WorkspaceState,
  req: { plan: string; enterprise: EnterpriseTerms | null; terms: EnterpriseTerms; requestId: string },
  now: number,
  collectsDebt: boolean,
): Steps {
  const termIndex = s.termIndex + 1;
  const term = { index: termIndex, start: now, end: addMonthsClamped(now, 1) };
  return [
    {
      kind: 'issue-base-invoice',
      term,
      plan: { plan: req.plan, priceCents: req.terms.monthlyPriceCents },
      key: collectsDebt ? `resubscribe:${s.request.id}:${req.requestId}` : undefined,
    },
    { kind: 'charge', onDecline: { then: 'void-and-refuse', refusal: 'payment failed: ' } },
    {
      kind: 'update-state',
      patch: {
        plan: req.plan,
        enterprise: req.enterprise,
        planCredits: req.terms.monthlyCredits,
        planPriceCents: req.terms.monthlyPriceCents,
        anchor: now,
        anchorTermIndex: termIndex,
        termIndex,
        status: 'active',
        phase: 'subscribed',
        cancelAt: null,
        retentionUntil: null,
        scheduledChange: null,
        ...(collectsDebt ? {} : { unpaid: [] }),
      },
    },
    // The first term of the new anchor, as the state now counts it.
    { kind: 'open-term', term: termOf({ anchor: now, anchorTermIndex: termIndex }, termIndex) },
    { kind: 'finalize-invoice' },
    { kind: 'sync', summary: 'Re-subscribed during retention: purge stopped, new anchor' },
  ];
}
