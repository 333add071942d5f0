// Invoice computation (SPEC section 5): lines, subtotal, tax, total, all in
// integer cents. Pure: the activities feed it the pricing config and the
// workspace's billing address, and store what it returns.
import { canonicalJson } from './canonical-json';
import { assertNonNegativeInt, formatUsd, groupThousands, safeMultiply } from './money';
import type { PlanId, PricingConfig } from './pricing';
import { prorateUpgrade } from './proration';
import { taxCents, taxRateFor, type BillingAddress } from './tax';
import type { Instant } from './terms';

export type InvoiceKind = 'renewal' | 'upgrade' | 'credit_purchase' | 'final';
export const INVOICE_KINDS: readonly InvoiceKind[] = ['renewal', 'upgrade', 'credit_purchase', 'final'];

export type InvoiceStatus = 'open' | 'paid' | 'payment_failed' | 'void';
export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['open', 'paid', 'payment_failed', 'void'];

/** `carried_forward`: the total of an earlier invoice below the minimum card charge, tax included (not taxed again). */
export type InvoiceLineKind = 'base_fee' | 'upgrade_proration' | 'credit_purchase' | 'overage' | 'carried_forward';

/** An earlier invoice of the workspace, below the minimum card charge, whose total is carried into the one being issued. */
export interface CarriedInvoice {
  number: string;
  totalCents: number;
  periodStart: Instant;
  periodEnd: Instant;
}

/** What the workflow asks for; `key` makes issuing idempotent. */
export interface IssueInvoiceInput {
  /**
   * Business identity: `signup:<ws>:<runId>` (one per sign-up attempt), `renewal:<ws>:<termIndex>`,
   * `resubscribe:<ws>:<requestId>`, `upgrade-sale:<ws>:<n>`, `purchase-sale:<ws>:<n>` (a per-workspace
   * sale number, never a client's key), `final:<ws>:<termIndex>`.
   */
  key: string;
  workspaceId: string;
  kind: InvoiceKind;
  /** Billing period printed on the invoice (epoch ms, end exclusive). */
  periodStart: Instant;
  periodEnd: Instant;
  /** The workflow's clock; decides the numbering year. */
  issuedAt: Instant;
  /** Renewal: the new term's base fee, billed in advance. */
  base?: { plan: PlanId; planName: string; priceCents: number };
  /** Upgrade: the prorated price difference for the rest of the term. */
  upgrade?: {
    fromPlan: PlanId;
    toPlan: PlanId;
    fromPriceCents: number;
    toPriceCents: number;
    termStart: Instant;
    termEnd: Instant;
    at: Instant;
  };
  /** Credit purchase, charged at once. */
  purchase?: { credits: number };
  /** On-demand overage of a past term, billed in arrears. */
  overage?: { credits: number; periodStart: Instant; periodEnd: Instant };
}

/**
 * What an invoice bills: its input without the business key and the instant
 * it was issued (a retried step issues again later). Issuing an existing key
 * with another fingerprint is another sale under a used key: refused.
 */
export function invoiceFingerprint(input: IssueInvoiceInput): string {
  const { key: _key, issuedAt: _issuedAt, ...billed } = input;
  return canonicalJson(billed);
}

/** What the workflow gets back (a reference, never the PDF). */
export interface InvoiceSummary {
  id: string;
  number: string;
  kind: InvoiceKind;
  totalCents: number;
  status: InvoiceStatus;
  periodStart: Instant;
  periodEnd: Instant;
}

export interface InvoiceLine {
  kind: InvoiceLineKind;
  description: string;
  quantity: number;
  unitAmountCents: number;
  /** quantity * unitAmountCents */
  amountCents: number;
  periodStart: Instant;
  periodEnd: Instant;
}

export interface InvoicePlan {
  id: PlanId;
  name: string;
  /** Monthly base cost. */
  priceCents: number;
}

export interface InvoiceTax {
  name: string;
  rateBps: number;
  amountCents: number;
}

export interface InvoiceAmounts {
  /** The plan the invoice is about, when the input names one (renewal, upgrade). */
  plan: InvoicePlan | null;
  lines: InvoiceLine[];
  /** The lines of this invoice's own sales, the base of its tax (carried-forward lines are not in it). */
  subtotalCents: number;
  tax: InvoiceTax;
  /** Totals of earlier invoices carried into this one (their `carried_forward` lines), tax included. */
  carriedForwardCents: number;
  /** subtotal + tax + carried forward */
  totalCents: number;
}

const REQUIRED_PART: Record<InvoiceKind, keyof IssueInvoiceInput | null> = {
  renewal: 'base',
  upgrade: 'upgrade',
  credit_purchase: 'purchase',
  final: null, // a final invoice may carry no overage at all (zero total, not charged)
};

function assertPeriod(start: Instant, end: Instant, what: string): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) {
    throw new RangeError(`${what} must be a non-empty [start, end) range of epoch milliseconds`);
  }
}

/** Checks the parts of an issue request that do not need the database. */
export function validateIssueInput(input: IssueInvoiceInput, pricing: PricingConfig): void {
  if (!INVOICE_KINDS.includes(input.kind)) throw new RangeError(`unknown invoice kind '${String(input.kind)}'`);
  if (!input.key || input.key.length > 200) throw new RangeError('invoice key must be 1..200 characters');
  assertPeriod(input.periodStart, input.periodEnd, 'billing period');
  if (!Number.isSafeInteger(input.issuedAt)) throw new RangeError('issuedAt must be epoch milliseconds');
  const required = REQUIRED_PART[input.kind];
  if (required && input[required] === undefined) throw new RangeError(`a ${input.kind} invoice needs '${required}'`);
  if (input.base) assertNonNegativeInt(input.base.priceCents, 'base.priceCents');
  if (input.purchase) {
    const { credits } = input.purchase;
    const { minCredits, maxCredits } = pricing.purchase;
    if (!Number.isSafeInteger(credits) || credits < minCredits || credits > maxCredits) {
      throw new RangeError(`a purchase must be an integer of ${minCredits}..${maxCredits} credits, got ${credits}`);
    }
  }
  if (input.overage) {
    assertNonNegativeInt(input.overage.credits, 'overage.credits');
    assertPeriod(input.overage.periodStart, input.overage.periodEnd, 'overage period');
  }
}

const planName = (pricing: PricingConfig, plan: PlanId) => pricing.plans[plan]?.name ?? plan;

/**
 * Lines, subtotal, tax (by billing address, half-up) and total of an invoice;
 * `carried` are earlier below-minimum invoices whose totals it also bills.
 */
export function computeInvoice(
  input: IssueInvoiceInput,
  pricing: PricingConfig,
  address: BillingAddress,
  carried: readonly CarriedInvoice[] = [],
): InvoiceAmounts {
  validateIssueInput(input, pricing);
  const lines: InvoiceLine[] = [];
  let plan: InvoicePlan | null = null;

  if (input.base) {
    const { priceCents } = input.base;
    plan = { id: input.base.plan, name: input.base.planName, priceCents };
    lines.push({
      kind: 'base_fee',
      description: `${input.base.planName} plan, monthly base fee (in advance)`,
      quantity: 1,
      unitAmountCents: priceCents,
      amountCents: priceCents,
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
    });
  }

  if (input.upgrade) {
    const u = input.upgrade;
    const p = prorateUpgrade(u);
    const from = planName(pricing, u.fromPlan);
    const to = planName(pricing, u.toPlan);
    plan = { id: u.toPlan, name: to, priceCents: u.toPriceCents };
    lines.push({
      kind: 'upgrade_proration',
      description: `Upgrade ${from} → ${to}: ${formatUsd(p.differenceCents)} monthly difference × ${p.remainingDays}/${p.termDays} days`,
      quantity: 1,
      unitAmountCents: p.amountCents,
      amountCents: p.amountCents,
      periodStart: u.at,
      periodEnd: u.termEnd,
    });
  }

  if (input.purchase) {
    const unit = pricing.purchase.centsPerCredit;
    lines.push({
      kind: 'credit_purchase',
      description: `${groupThousands(input.purchase.credits)} credits at ${formatUsd(unit)} per credit (purchased credits never expire)`,
      quantity: input.purchase.credits,
      unitAmountCents: unit,
      amountCents: safeMultiply(input.purchase.credits, unit),
      periodStart: input.periodStart,
      periodEnd: input.periodEnd,
    });
  }

  if (input.overage && input.overage.credits > 0) {
    const unit = pricing.overage.centsPerCredit;
    lines.push({
      kind: 'overage',
      description: 'On-demand overage credits (in arrears)',
      quantity: input.overage.credits,
      unitAmountCents: unit,
      amountCents: safeMultiply(input.overage.credits, unit),
      periodStart: input.overage.periodStart,
      periodEnd: input.overage.periodEnd,
    });
  }

  const subtotalCents = lines.reduce((sum, l) => sum + l.amountCents, 0);
  if (!Number.isSafeInteger(subtotalCents)) throw new RangeError('invoice subtotal exceeds the safe integer range');
  const rate = taxRateFor(address, pricing.taxRates);
  const tax: InvoiceTax = { name: rate.name, rateBps: rate.rateBps, amountCents: taxCents(subtotalCents, rate.rateBps) };

  for (const c of carried) {
    assertNonNegativeInt(c.totalCents, 'carried totalCents');
    lines.push({
      kind: 'carried_forward',
      description: `Carried forward from ${c.number} (below the minimum card charge; tax included)`,
      quantity: 1,
      unitAmountCents: c.totalCents,
      amountCents: c.totalCents,
      periodStart: c.periodStart,
      periodEnd: c.periodEnd,
    });
  }
  const carriedForwardCents = carried.reduce((sum, c) => sum + c.totalCents, 0);
  const totalCents = subtotalCents + tax.amountCents + carriedForwardCents;
  if (!Number.isSafeInteger(totalCents)) throw new RangeError('invoice total exceeds the safe integer range');
  return { plan, lines, subtotalCents, tax, carriedForwardCents, totalCents };
}

/** The customer block, snapshotted from the workspace when the invoice is issued. */
export interface InvoiceCustomer {
  name: string;
  billingEmail: string;
  billingAddress: BillingAddress;
}

/** The seller block (configurable company name, address lines and tax ID). */
export interface InvoiceSeller {
  name: string;
  address: string[];
  /** SELLER_TAX_ID, printed as given; absent when not configured. */
  taxId?: string;
}

/** Everything an issued invoice says: what the PDF prints and the API returns. */
export interface InvoiceDocument extends InvoiceSummary, Omit<InvoiceAmounts, 'plan'> {
  workspaceId: string;
  currency: 'usd';
  plan: InvoicePlan | null;
  customer: InvoiceCustomer;
  seller: InvoiceSeller;
  issuedAt: Instant;
  paidAt: Instant | null;
  /** Stripe PaymentIntent id of the successful (or last failed) charge. */
  paymentReference: string | null;
  paymentFailure: { code: string; reason: string } | null;
  /** Why the invoice was voided, when it was. */
  statusNote: string | null;
}

/** Zero-total invoices are issued (and numbered) but never charged. */
export const needsCharge = (totalCents: number) => totalCents > 0;
