// Fixed sequences through invoice paths random sequences seldom reach in the
// suite's budget, replayed by the model test and compared invoice by invoice.
const create = (plan: string, card: string) => `create(${JSON.stringify({ plan, paymentMethod: card })})`;
const aiAssist = (tokens: number) =>
  `usage(${JSON.stringify({ action: 'ai_assist', tokens, feature: 'chat', alreadyPerformed: false, member: 1, reuse: -1 })})`;
const card = (id: string) => `paymentMethod(${JSON.stringify(id)})`;

export const INVOICE_PATHS: Record<string, string[]> = {
  // A void sign-up invoice stays the workspace's; a void purchase; a failed renewal paid by its retry; a void re-subscription.
  'void sales and a failed renewal paid a day later': [
    create('pro', 'pm_card_chargeCustomerFail'),
    create('pro', 'pm_card_visa'),
    card('pm_card_chargeCustomerFail'),
    'purchase(100, -1)',
    'advanceToTermEnd()',
    card('pm_card_visa'),
    'advance(90000000)',
    'cancel()',
    'advanceToTermEnd()',
    card('pm_card_chargeCustomerFail'),
    'resume()',
  ],
  // Overage renewals below $0.50 carried into each other, then paid by a purchase; a void upgrade; a failed final invoice paid at resume.
  'a carried chain, a void upgrade, a final invoice collected at resume': [
    create('free', 'pm_card_visa'),
    'onDemand(true, 0)',
    aiAssist(30_000),
    'advanceToTermEnd()',
    aiAssist(30_000),
    'advanceToTermEnd()',
    'purchase(100, -1)',
    card('pm_card_chargeCustomerFail'),
    'changePlan("pro")',
    aiAssist(250_000),
    'cancel()',
    'advanceToTermEnd()',
    'advance(90000000)',
    card('pm_card_visa'),
    'resume()',
  ],
};
