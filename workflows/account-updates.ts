// Updates that change the account inside its term: credit purchases (rule 8,
// decided by decisions/purchase.ts), on-demand settings, features, the
// low-balance threshold (decisions/account-settings.ts), the card.
import type { OnDemandSettings } from '../src/domain/workspace';
import type { LowBalanceSetting, PurchaseRequest, PurchaseResult } from './definitions';
import { remember } from './state';
import { refusal } from './workflow-failures';
import type { BillingContext } from './billing-context';
import { featureSteps, lowBalanceThresholdSteps, onDemandSteps } from './decisions/account-settings';
import { decidePurchase, purchaseKey, purchaseSteps } from './decisions/purchase';
import { runSteps } from './executor';
import { attachPaymentMethod } from './charges';
import { retryUnpaid } from './payments';

export async function onPurchase(b: BillingContext, req: PurchaseRequest): Promise<PurchaseResult> {
  const decision = decidePurchase(b.s, req);
  if (decision.kind === 'refuse') throw refusal(b.id, decision.code, decision.message);
  if (decision.kind === 'answered') return decision.result;
  // One invoice per payment attempt: a declined one is voided, a retry with the same key gets a new one.
  const entry = b.s.purchases.find(([k]) => k === req.idempotencyKey)?.[1] ?? { credits: req.credits, attempts: 0, result: null };
  entry.attempts = decision.attempt;
  remember(b.s.purchases, req.idempotencyKey, entry);
  const done = await runSteps(b, purchaseSteps(b.s, req, decision.attempt));
  const amountCents = req.credits * b.pricing!.purchase.centsPerCredit;
  entry.result = { id: purchaseKey(b.s, req), credits: req.credits, amountCents, status: 'paid', invoiceId: done.invoice!.id };
  return entry.result;
}

export async function onSetOnDemand(b: BillingContext, settings: OnDemandSettings): Promise<OnDemandSettings> {
  await runSteps(b, onDemandSteps(settings));
  return b.s.onDemand;
}

export async function onSetFeature(b: BillingContext, req: { feature: string; enabled: boolean }): Promise<{ disabledFeatures: string[] }> {
  await runSteps(b, featureSteps(b.s, req));
  return { disabledFeatures: b.s.disabledFeatures };
}

export async function onSetLowBalanceThreshold(b: BillingContext, req: LowBalanceSetting): Promise<LowBalanceSetting> {
  await runSteps(b, lowBalanceThresholdSteps(req.threshold));
  return { threshold: req.threshold };
}

export async function onSetPaymentMethod(b: BillingContext, req: { paymentMethod: string }): Promise<{ paymentMethod: string }> {
  await attachPaymentMethod(b, req.paymentMethod);
  // A past-due account is locked out: try its unpaid invoices with the new card at once.
  if (b.s.status === 'past_due') await retryUnpaid(b, 'all');
  return { paymentMethod: req.paymentMethod };
}
