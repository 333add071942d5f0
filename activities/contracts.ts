// The activity surface the billing workflow calls, as types only (the
// workflow imports this file with `import type`). activities/index.ts checks
// that the implementations satisfy it.
import type { EnterpriseTerms, PlanId, PricingConfig } from '../src/domain/pricing';
import type { WorkspaceSnapshot } from '../src/domain/workspace';

export interface LedgerResult {
  alreadyApplied: boolean;
}

export interface LedgerActivities {
  openTerm(input: {
    workspaceId: string;
    termIndex: number;
    termStart: number;
    termEnd: number;
    plan: PlanId;
    planCredits: number;
    planPriceCents: number;
  }): Promise<LedgerResult & { expired: number; granted: number }>;
  replacePlanBucket(input: {
    workspaceId: string;
    termIndex: number;
    plan: PlanId;
    planCredits: number;
    planPriceCents: number;
    key: string;
  }): Promise<LedgerResult & { expired: number; granted: number }>;
  grantPurchasedCredits(input: { workspaceId: string; credits: number; key: string }): Promise<LedgerResult & { granted: number }>;
  expirePlanCredits(input: { workspaceId: string; termIndex: number; key: string }): Promise<LedgerResult & { expired: number }>;
  getBalances(input: { workspaceId: string }): Promise<{ plan: number; purchased: number; total: number }>;
  overageUsed(input: { workspaceId: string; termIndex: number }): Promise<number>;
}

export type InvoiceKind = 'renewal' | 'upgrade' | 'credit_purchase' | 'final';
export type InvoiceStatus = 'open' | 'paid' | 'payment_failed' | 'void';

export interface IssueInvoiceInput {
  key: string;
  workspaceId: string;
  kind: InvoiceKind;
  periodStart: number;
  periodEnd: number;
  issuedAt: number;
  base?: { plan: PlanId; planName: string; priceCents: number };
  upgrade?: {
    fromPlan: PlanId;
    toPlan: PlanId;
    fromPriceCents: number;
    toPriceCents: number;
    termStart: number;
    termEnd: number;
    at: number;
  };
  purchase?: { credits: number };
  overage?: { credits: number; periodStart: number; periodEnd: number };
}

export interface InvoiceSummary {
  id: string;
  number: string;
  kind: InvoiceKind;
  totalCents: number;
  status: InvoiceStatus;
  periodStart: number;
  periodEnd: number;
}

export interface InvoiceActivities {
  ensurePaymentMethod(input: { workspaceId: string; paymentMethod: string }): Promise<{ customerId: string }>;
  issueInvoice(input: IssueInvoiceInput): Promise<InvoiceSummary>;
  /** Throws a non-retryable ApplicationFailure of type 'PaymentFailed' on a decline. */
  chargeInvoice(input: { invoiceId: string; attempt: number }): Promise<{ outcome: 'paid' | 'not_charged'; paymentIntentId?: string }>;
  markInvoicePaid(input: { invoiceId: string; paymentIntentId: string; paidAt: number }): Promise<void>;
  finalizeInvoice(input: { invoiceId: string }): Promise<void>;
}

export interface WorkspaceActivities {
  /** The current pricing catalog (read once per workflow run, so each term sees config changes). */
  getPricing(): Promise<PricingConfig>;
  /** Upserts the workspace read model the usage hot path reads. */
  syncWorkspace(snapshot: WorkspaceSnapshot): Promise<void>;
  /** After retention: deletes usage events, ledger detail and member ids; keeps invoices. */
  purgeWorkspaceData(input: { workspaceId: string }): Promise<{ usageEvents: number; ledgerEntries: number }>;
}

export type BillingActivities = LedgerActivities & InvoiceActivities & WorkspaceActivities;

export type { EnterpriseTerms };
