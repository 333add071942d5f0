// The in-advance invoice of a term (base fee, plus the previous term's
// overage): built the same way by the workflow (sign-up, re-subscription,
// renewals before the fused renewal) and by the fused renewal transaction,
// which learns the overage only inside it.
import type { IssueInvoiceInput } from './invoice';
import type { Instant } from './terms';

export interface TermInvoiceSpec {
  key: string;
  workspaceId: string;
  term: { start: Instant; end: Instant };
  /** The workflow's clock. */
  issuedAt: Instant;
  base: { plan: string; planName: string; priceCents: number };
  overageCredits: number;
  /** The term the overage was used in; without it no overage is billed. */
  previous?: { start: Instant; end: Instant } | undefined;
}

/** The invoice's input; null when there is nothing to bill (no base fee, no overage). */
export function termInvoiceInput(spec: TermInvoiceSpec): IssueInvoiceInput | null {
  const { overageCredits, previous } = spec;
  if (spec.base.priceCents === 0 && overageCredits === 0) return null;
  return {
    key: spec.key,
    workspaceId: spec.workspaceId,
    kind: 'renewal',
    periodStart: spec.term.start,
    periodEnd: spec.term.end,
    issuedAt: spec.issuedAt,
    base: spec.base,
    ...(overageCredits > 0 && previous ? { overage: { credits: overageCredits, periodStart: previous.start, periodEnd: previous.end } } : {}),
  };
}
