// A reference model of the billing rules (SPEC sections 3 to 5, README
// "Billing rules"): one workspace, the answers the API must give and the
// state every answer leaves behind. Pure and synchronous, written without
// src/domain or workflows/ (eslint refuses those imports here): a second
// opinion on the service, not a copy of it.
import { DAY, termBounds } from './calendar';
import { costOf, OVERAGE_CENTS_PER_CREDIT, PLANS, PURCHASE, RETENTION_DAYS, RETRY_DAYS, type PlanId, type PlanTerms } from './catalog';
import { prorate } from './money';
import { belowMinimum, issue, line, markPaid, type InvoiceKind, type InvoiceLine, type ModelInvoice } from './invoices';

/** What the API answers: status, error code, and for usage the charge and the balance left. */
export interface Answer {
  status: number;
  code?: string;
  creditsCharged?: number;
  balance?: { plan: number; purchased: number; total: number };
}

export type Status = 'active' | 'past_due' | 'cancelled' | 'deleted';
type Phase = 'none' | 'subscribed' | 'retention' | 'deleted';

/** Stripe's test cards: what attaching and charging them does. */
export const CARDS = {
  pm_card_visa: { attaches: true, pays: true },
  pm_card_chargeCustomerFail: { attaches: true, pays: false },
  pm_card_authenticationRequired: { attaches: true, pays: false },
  pm_card_chargeDeclined: { attaches: false, pays: false },
} as const;
export type CardId = keyof typeof CARDS;

export interface Enterprise {
  monthlyCredits: number;
  monthlyPriceCents: number;
}
export interface CreateRequest {
  plan: PlanId;
  enterprise?: Enterprise;
  paymentMethod?: CardId;
}
export interface UsageRequest {
  key: string;
  memberId: string;
  action: string;
  feature: string;
  tokens?: number;
  alreadyPerformed?: boolean;
}

interface Unpaid {
  invoice: ModelInvoice;
  totalCents: number;
  firstFailedAt: number;
  /** Attempts on the 1/3/7-day schedule (the first charge included). */
  scheduled: number;
}

const ok = (status = 200): Answer => ({ status });
const refused = (status: number, code: string): Answer => ({ status, code });
const MAX_SCHEDULED_ATTEMPTS = 1 + RETRY_DAYS.length;

export class BillingModel {
  phase: Phase = 'none';
  status: Status = 'active';
  plan: PlanId = 'free';
  enterprise: Enterprise | null = null;
  terms: PlanTerms = PLANS.free;
  /** The request that created the workspace (a repeat of it is answered 200). */
  createdWith: string | null = null;
  anchor = 0;
  /** Term number since the anchor. */
  n = 0;
  card: CardId | null = null;
  plan_ = 0;
  purchased = 0;
  overageUsed = 0;
  onDemand = { enabled: false, monthlyLimit: 0 };
  disabled = new Set<string>();
  scheduled: { plan: PlanId; enterprise: Enterprise | null; terms: PlanTerms } | null = null;
  cancelAt: number | null = null;
  retentionUntil: number | null = null;
  unpaid: Unpaid[] = [];
  /** The open invoice below Stripe's minimum, billed by the next invoice. */
  carried: ModelInvoice | null = null;
  /** Every invoice issued for this workspace id, oldest first (a refused sign-up's void one too). */
  invoices: ModelInvoice[] = [];
  /** Usage keys that succeeded: their body and first answer. */
  usageKeys = new Map<string, { body: string; answer: Answer }>();
  /** Purchases the workflow knows (by their idempotencyKey) and the paid ones' answers. */
  purchases = new Map<string, { credits: number; paid: boolean }>();
  /** Purchase keys and the credits they were first used with. */
  purchaseKeys = new Map<string, number>();
  /** Successful charges: how many, and their total. */
  charges = 0;
  chargedCents = 0;
  /** Overage credits billed so far (each consumed overage credit exactly once). */
  overageBilled = 0;

  term(): { start: number; end: number } {
    return termBounds(this.anchor, this.n);
  }

  balance() {
    return { plan: this.plan_, purchased: this.purchased, total: this.plan_ + this.purchased };
  }

  // ---- payments ----

  private charge(totalCents: number): boolean {
    if (!this.card || !CARDS[this.card].pays) return false;
    this.charges += 1;
    this.chargedCents += totalCents;
    return true;
  }

  /** Issues an invoice of `lines` (taxed) plus what was carried; undefined = nothing to charge, else whether it was paid. */
  private bill(kind: InvoiceKind, lines: InvoiceLine[]): { paid: boolean; totalCents: number; invoice: ModelInvoice } | undefined {
    const invoice = issue(kind, lines, this.carried);
    this.invoices.push(invoice);
    this.carried = null;
    if (invoice.totalCents === 0) return undefined;
    if (belowMinimum(invoice)) {
      this.carried = invoice;
      return undefined;
    }
    const paid = this.charge(invoice.totalCents);
    if (paid) markPaid(invoice);
    return { paid, totalCents: invoice.totalCents, invoice };
  }

  /** A refused sale voids its invoice, which releases what it carried to the next one. */
  private voidSale(invoice: ModelInvoice): void {
    invoice.status = 'void';
    this.carried = invoice.carries;
  }

  /** A charge that failed leaves the invoice unpaid, for dunning. */
  private recordUnpaid(bill: { totalCents: number; invoice: ModelInvoice }, at: number): void {
    bill.invoice.status = 'payment_failed';
    this.unpaid.push({ invoice: bill.invoice, totalCents: bill.totalCents, firstFailedAt: at, scheduled: 1 });
  }

  private paidUnpaid(u: Unpaid): void {
    markPaid(u.invoice);
    this.unpaid.splice(this.unpaid.indexOf(u), 1);
  }

  /** A charge succeeded on the account: every unpaid invoice is tried again at once with the same card. */
  private collectUnpaid(): void {
    for (const u of [...this.unpaid]) if (this.charge(u.totalCents)) this.paidUnpaid(u);
    this.settleStatus();
  }

  private settleStatus(): void {
    if (this.status !== 'active' && this.status !== 'past_due') return;
    this.status = this.unpaid.some((u) => u.scheduled >= MAX_SCHEDULED_ATTEMPTS) ? 'past_due' : 'active';
  }

  // ---- commands ----

  create(req: CreateRequest): Answer {
    const body = JSON.stringify(req);
    const terms = req.plan === 'enterprise' ? { credits: req.enterprise!.monthlyCredits, priceCents: req.enterprise!.monthlyPriceCents } : PLANS[req.plan];
    // The edge checks the request before it looks at the id.
    if (terms.priceCents > 0 && !req.paymentMethod) return refused(422, 'payment_method_required');
    if (this.phase === 'deleted') return refused(409, 'workspace_deleted');
    if (this.phase !== 'none') return body === this.createdWith ? ok(200) : refused(409, 'conflict');
    if (req.paymentMethod && !CARDS[req.paymentMethod].attaches) return refused(402, 'payment_method_rejected');
    const card = req.paymentMethod ?? null;
    this.card = card;
    // The first term is billed in advance; a free one issues no invoice.
    const bill = terms.priceCents > 0 ? this.bill('renewal', [line('base_fee', 1, terms.priceCents)]) : undefined;
    if (bill && !bill.paid) {
      // The sign-up did not happen: its invoice is void (it keeps its number), nothing else stays.
      this.voidSale(bill.invoice);
      this.card = null;
      return refused(402, 'payment_failed');
    }
    this.phase = 'subscribed';
    this.status = 'active';
    this.plan = req.plan;
    this.enterprise = req.enterprise ?? null;
    this.terms = terms;
    this.createdWith = body;
    this.n = 0;
    this.plan_ = terms.credits;
    return ok(201);
  }

  /** The anchor the service chose (the instant the sign-up or re-subscription was served). */
  setAnchor(at: number): void {
    this.anchor = at;
  }

  usage(req: UsageRequest): Answer {
    const cost = costOf(req.action, req.tokens);
    if (cost === null) return refused(422, req.action === 'ai_assist' ? 'validation_failed' : 'unknown_action');
    const body = JSON.stringify([req.memberId, req.action, req.feature.toLowerCase(), req.tokens ?? null, req.alreadyPerformed ?? false]);
    const prior = this.usageKeys.get(req.key);
    if (cost === 0) {
      if (this.phase === 'none') return refused(404, 'not_found');
      if (this.phase === 'deleted') return refused(403, 'workspace_deleted');
      // A key already used by a charged request names that request: another body under it is a conflict.
      if (prior) return refused(409, 'idempotency_conflict');
      return { status: 200, creditsCharged: 0, balance: this.balance() };
    }
    if (prior) return prior.body === body ? prior.answer : refused(409, 'idempotency_conflict');
    if (this.phase === 'none') return refused(404, 'not_found');
    if (this.phase === 'deleted') return refused(403, 'workspace_deleted');
    if (this.phase === 'retention') return refused(403, 'subscription_cancelled');
    if (this.status === 'past_due') return refused(402, 'payment_required');
    if (this.disabled.has(req.feature.toLowerCase())) return refused(403, 'feature_disabled');

    const fromPlan = Math.min(cost, this.plan_);
    const fromPurchased = Math.min(cost - fromPlan, this.purchased);
    const rest = cost - fromPlan - fromPurchased;
    const allowance = !this.onDemand.enabled ? 0 : this.onDemand.monthlyLimit === 0 ? Infinity : Math.max(0, this.onDemand.monthlyLimit - this.overageUsed);
    const overage = Math.min(rest, allowance);
    const shortfall = rest - overage;
    if (shortfall > 0 && !req.alreadyPerformed) return refused(402, 'credit_limit_reached');
    this.plan_ -= fromPlan;
    this.purchased -= fromPurchased;
    this.overageUsed += overage;
    const answer: Answer = { status: 200, creditsCharged: fromPlan + fromPurchased + overage, balance: this.balance() };
    this.usageKeys.set(req.key, { body, answer });
    return answer;
  }

  /** Concurrent requests ran in an order the system chose: a stored answer is the one it gave (same multiset, checked by the caller). */
  recordAnswer(key: string, answer: Answer): void {
    const prior = this.usageKeys.get(key);
    if (prior && answer.status === 200) prior.answer = answer;
  }

  purchase(credits: number, key: string): Answer {
    if (!Number.isInteger(credits) || credits < PURCHASE.min || credits > PURCHASE.max) return refused(422, 'validation_failed');
    // A purchase key is bound to its request at its first use, whatever the outcome.
    const bound = this.purchaseKeys.get(key);
    if (bound !== undefined && bound !== credits) return refused(409, 'idempotency_conflict');
    this.purchaseKeys.set(key, credits);
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    const known = this.purchases.get(key);
    if (known?.paid) return ok(201);
    if (this.phase === 'retention') return refused(409, 'invalid_state');
    if (known && known.credits !== credits) return refused(409, 'conflict');
    if (!this.card) return refused(422, 'payment_method_required');
    const entry = known ?? { credits, paid: false };
    this.purchases.set(key, entry);
    const bill = this.bill('credit_purchase', [line('credit_purchase', credits, PURCHASE.centsPerCredit)]);
    if (bill && !bill.paid) {
      this.voidSale(bill.invoice);
      return refused(402, 'payment_failed');
    }
    entry.paid = true;
    this.purchased += credits;
    if (bill) this.collectUnpaid();
    return ok(201);
  }

  changePlan(plan: PlanId, enterprise: Enterprise | undefined, now: number): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    const terms = plan === 'enterprise' ? { credits: enterprise!.monthlyCredits, priceCents: enterprise!.monthlyPriceCents } : PLANS[plan];
    if (this.phase === 'retention') return this.resubscribe(plan, enterprise ?? null, terms);
    const same = plan === this.plan && (plan !== 'enterprise' || JSON.stringify(enterprise) === JSON.stringify(this.enterprise));
    if (same) {
      this.scheduled = null;
      return ok();
    }
    if (terms.priceCents <= this.terms.priceCents) {
      this.scheduled = { plan, enterprise: enterprise ?? null, terms };
      return ok();
    }
    if (!this.card) return refused(422, 'payment_method_required');
    const { start, end } = this.term();
    const proration = prorate(terms.priceCents - this.terms.priceCents, start, end, now, DAY);
    const bill = this.bill('upgrade', [line('upgrade_proration', 1, proration)]);
    if (bill && !bill.paid) {
      this.voidSale(bill.invoice);
      return refused(402, 'payment_failed');
    }
    Object.assign(this, { plan, enterprise: enterprise ?? null, terms, scheduled: null, plan_: terms.credits });
    if (bill) this.collectUnpaid();
    return ok();
  }

  private resubscribe(plan: PlanId, enterprise: Enterprise | null, terms: PlanTerms): Answer {
    if (terms.priceCents > 0 && !this.card) return refused(422, 'payment_method_required');
    if (this.unpaid.length > 0) {
      if (!this.card) return refused(422, 'payment_method_required');
      this.collectUnpaid();
      if (this.unpaid.length > 0) return refused(402, 'payment_required');
    }
    // A free plan issues no invoice (nothing to bill in advance).
    const bill = terms.priceCents > 0 ? this.bill('renewal', [line('base_fee', 1, terms.priceCents)]) : undefined;
    if (bill && !bill.paid) {
      this.voidSale(bill.invoice);
      return refused(402, 'payment_failed');
    }
    Object.assign(this, {
      phase: 'subscribed', status: 'active', plan, enterprise, terms, n: this.n + 1, // the caller sets the new anchor
      cancelAt: null, retentionUntil: null, scheduled: null, plan_: terms.credits, overageUsed: 0,
    });
    return ok();
  }

  /** After a re-subscription the first term of the new anchor is term 0 of it. */
  startNewAnchor(at: number): void {
    this.anchor = at;
    this.n = 0;
  }

  cancel(): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    if (this.phase === 'subscribed' && this.cancelAt === null) this.cancelAt = this.term().end;
    return ok();
  }

  resume(): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    if (this.phase === 'retention') return this.resubscribe(this.plan, this.enterprise, this.terms);
    this.cancelAt = null;
    return ok();
  }

  setPaymentMethod(card: CardId): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    if (!CARDS[card].attaches) return refused(402, 'payment_method_rejected');
    this.card = card;
    if (this.status === 'past_due') this.collectUnpaid();
    return ok();
  }

  setOnDemand(enabled: boolean, monthlyLimit: number): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    this.onDemand = { enabled, monthlyLimit };
    return ok();
  }

  setFeature(feature: string, enabled: boolean): Answer {
    if (this.phase === 'none' || this.phase === 'deleted') return refused(404, 'not_found');
    if (enabled) this.disabled.delete(feature.toLowerCase());
    else this.disabled.add(feature.toLowerCase());
    return ok();
  }

  // ---- time ----

  /** Scheduled instants (term end, dunning retries, purge), for choosing where time lands. */
  dueInstants(): Array<{ at: number; what: 'term_end' | 'retry' | 'purge' }> {
    const out: Array<{ at: number; what: 'term_end' | 'retry' | 'purge' }> = [];
    if (this.phase === 'subscribed') out.push({ at: this.term().end, what: 'term_end' });
    if (this.phase === 'retention') out.push({ at: this.retentionUntil!, what: 'purge' });
    if (this.phase === 'subscribed' || this.phase === 'retention') {
      for (const u of this.unpaid) {
        if (u.scheduled < MAX_SCHEDULED_ATTEMPTS) out.push({ at: u.firstFailedAt + RETRY_DAYS[u.scheduled - 1]! * DAY, what: 'retry' });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  /** Everything due up to `to`, in order. */
  advanceTo(to: number): void {
    for (;;) {
      const next = this.dueInstants()[0];
      if (!next || next.at > to) return;
      if (next.what === 'term_end') this.endTerm(next.at);
      else if (next.what === 'purge') this.purge();
      else this.retryDue(next.at);
    }
  }

  private endTerm(at: number): void {
    if (this.cancelAt !== null) {
      const overage = this.overageUsed * OVERAGE_CENTS_PER_CREDIT;
      this.overageBilled += this.overageUsed;
      if (overage > 0) {
        const bill = this.bill('final', [line('overage', this.overageUsed, OVERAGE_CENTS_PER_CREDIT)]);
        if (bill && !bill.paid) this.recordUnpaid(bill, at);
        else if (bill) this.collectUnpaid();
      }
      Object.assign(this, { phase: 'retention', status: 'cancelled', plan_: 0, retentionUntil: at + RETENTION_DAYS * DAY, cancelAt: null });
      return;
    }
    if (this.scheduled) {
      Object.assign(this, { plan: this.scheduled.plan, enterprise: this.scheduled.enterprise, terms: this.scheduled.terms, scheduled: null });
    }
    // Base fee in advance, the ending term's overage in arrears; nothing to bill issues no invoice.
    const lines = [line('base_fee', 1, this.terms.priceCents)];
    if (this.overageUsed > 0) lines.push(line('overage', this.overageUsed, OVERAGE_CENTS_PER_CREDIT));
    const subtotal = this.terms.priceCents + this.overageUsed * OVERAGE_CENTS_PER_CREDIT;
    this.overageBilled += this.overageUsed;
    this.n += 1;
    this.plan_ = this.terms.credits;
    this.overageUsed = 0;
    if (subtotal === 0) return;
    const bill = this.bill('renewal', lines);
    if (bill && !bill.paid) this.recordUnpaid(bill, at);
    else if (bill) this.collectUnpaid();
  }

  private retryDue(at: number): void {
    const u = this.unpaid.find((x) => x.scheduled < MAX_SCHEDULED_ATTEMPTS && x.firstFailedAt + RETRY_DAYS[x.scheduled - 1]! * DAY === at)!;
    if (this.charge(u.totalCents)) {
      this.paidUnpaid(u);
      this.collectUnpaid();
    } else {
      u.scheduled += 1;
      this.settleStatus();
    }
  }

  private purge(): void {
    Object.assign(this, { phase: 'deleted', status: 'deleted', plan_: 0, purchased: 0, overageUsed: 0, retentionUntil: null });
    this.usageKeys.clear();
    this.unpaid = [];
  }

  /** What GET /v1/workspaces/:id must show (null: 404). */
  view(): { status: Status; plan: PlanId; balance: { plan: number; purchased: number; total: number } } | null {
    if (this.phase === 'none') return null;
    return { status: this.status, plan: this.plan, balance: this.balance() };
  }
}
