// Updates that change the account inside its term: credit purchases (rule 8),
// on-demand settings, features, the low-balance threshold, the card.
import { normalizeFeature } from '../src/domain/features';
import type { OnDemandSettings } from '../src/domain/workspace';
import { FailureCodes, type LowBalanceSetting, type PurchaseRequest, type PurchaseResult } from './definitions';
import { remember } from './state';
import { failure, paymentMethodRequired } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { charge, attachPaymentMethod, voidUnpaid, finalize, nextSaleKey, retryUnpaid } from './payments';
import { sync } from './read-model';

export async function onPurchase(b: BillingContext, req: PurchaseRequest): Promise<PurchaseResult> {
  if (b.s.phase !== 'subscribed') throw failure(FailureCodes.invalidState, 'the subscription is cancelled: re-subscribe to buy credits');
  const known = b.s.purchases.find(([k]) => k === req.idempotencyKey)?.[1];
  if (known && known.credits !== req.credits) {
    throw failure(FailureCodes.conflict, `idempotencyKey '${req.idempotencyKey}' was used for a purchase of ${known.credits} credits`);
  }
  if (known?.result) return known.result;
  if (!b.s.paymentMethod) throw paymentMethodRequired(b.id, 'buying credits needs a payment method on file');
  const entry = known ?? { credits: req.credits, attempts: 0, result: null };
  entry.attempts += 1;
  remember(b.s.purchases, req.idempotencyKey, entry);
  const key = `purchase:${b.id}:${req.idempotencyKey}`;
  // One invoice per payment attempt: a declined one is voided, a retry with the same key gets a new one.
  const legacyInvoiceKey = `${key}:${entry.attempts}`;
  const saleKey = nextSaleKey(b, 'purchase', legacyInvoiceKey);
  const invoice = await b.act(`Issue invoice for ${req.credits} purchased credits`).issueInvoice({
    key: saleKey,
    workspaceId: b.id,
    kind: 'credit_purchase',
    // Shown as the term the purchase was made in; the credits themselves never expire.
    periodStart: b.term().start,
    periodEnd: b.term().end,
    issuedAt: Date.now(),
    purchase: { credits: req.credits },
  });
  // Rule 8: credits only after the payment succeeded.
  const reason = invoice.totalCents > 0 ? await charge(b, invoice, 1) : null;
  if (reason !== null) {
    await voidUnpaid(b, invoice, reason);
    throw failure(FailureCodes.paymentFailed, `purchase payment failed: ${reason}`, { reason, invoiceId: invoice.id });
  }
  await b.act(`Grant ${req.credits} purchased credits`).grantPurchasedCredits({
    workspaceId: b.id,
    credits: req.credits,
    // Purchases from histories before sale numbers are granted under their purchase key.
    key: saleKey === legacyInvoiceKey ? key : saleKey,
  });
  await finalize(b, invoice);
  entry.result = {
    id: key,
    credits: req.credits,
    amountCents: req.credits * b.pricing!.purchase.centsPerCredit,
    status: 'paid',
    invoiceId: invoice.id,
  };
  return entry.result;
}

export async function onSetOnDemand(b: BillingContext, settings: OnDemandSettings): Promise<OnDemandSettings> {
  b.s.onDemand = { enabled: settings.enabled, monthlyLimit: settings.monthlyLimit };
  await sync(b, `On-demand ${settings.enabled ? `on, limit ${settings.monthlyLimit || 'unlimited'}` : 'off'}`);
  return b.s.onDemand;
}

export async function onSetFeature(b: BillingContext, req: { feature: string; enabled: boolean }): Promise<{ disabledFeatures: string[] }> {
  // One spelling per feature, whatever case the caller used (usage is checked in the same spelling).
  const feature = normalizeFeature(req.feature);
  const others = b.s.disabledFeatures.filter((f) => f !== feature);
  b.s.disabledFeatures = req.enabled ? others : [...others, feature].sort();
  await sync(b, `Feature ${feature} ${req.enabled ? 'enabled' : 'disabled'}`);
  return { disabledFeatures: b.s.disabledFeatures };
}

export async function onSetLowBalanceThreshold(b: BillingContext, req: LowBalanceSetting): Promise<LowBalanceSetting> {
  b.s.lowBalanceThreshold = req.threshold;
  await sync(b, req.threshold === null ? 'Low-balance threshold: default' : `Low-balance threshold: ${req.threshold} credits`);
  return { threshold: req.threshold };
}

export async function onSetPaymentMethod(b: BillingContext, req: { paymentMethod: string }): Promise<{ paymentMethod: string }> {
  await attachPaymentMethod(b, req.paymentMethod);
  // A past-due account is locked out: try its unpaid invoices with the new card at once.
  if (b.s.status === 'past_due') await retryUnpaid(b, 'all');
  return { paymentMethod: req.paymentMethod };
}
