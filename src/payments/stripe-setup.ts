// Which Stripe `npm start` talks to: the account in STRIPE_SECRET_KEY, or,
// without one, the local Stripe-compatible sandbox (no real money moves).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type Stripe from 'stripe';
import type { AppConfig } from '../config/env';
import { StripeSandbox } from '../stripe-sandbox/server';
import { createStripeClient } from './stripe-client';

export interface PaymentsSetup {
  stripe: Stripe;
  /** Secret the webhook route verifies Stripe-Signature with; undefined = every webhook is refused. */
  webhookSecret: string | undefined;
  /** Set when running against the local sandbox. */
  sandbox: StripeSandbox | null;
  /** Lines to print at start-up. */
  banner: string[];
}

export async function setUpPayments(config: AppConfig): Promise<PaymentsSetup> {
  if (config.stripe.secretKey) {
    const live = config.stripe.secretKey.startsWith('sk_live_');
    return {
      stripe: createStripeClient({ secretKey: config.stripe.secretKey, apiBase: config.stripe.apiBase }),
      webhookSecret: config.stripe.webhookSecret,
      sandbox: null,
      banner: [
        `  Stripe       ${config.stripe.apiBase ?? 'api.stripe.com'} (${live ? 'LIVE key: real money moves' : 'test key'})`,
        ...(config.stripe.webhookSecret ? [] : ['  WARNING      STRIPE_WEBHOOK_SECRET is not set: every Stripe webhook will be refused']),
      ],
    };
  }
  const webhookSecret = config.stripe.webhookSecret ?? `whsec_sandbox_${randomBytes(16).toString('hex')}`;
  const sandbox = await StripeSandbox.start({
    port: config.stripe.sandboxPort,
    stateFile: path.join(config.stateDir, 'stripe-sandbox.json'),
    webhook: { url: `${config.localApiUrl}/v1/stripe/webhook`, secret: webhookSecret },
  });
  return {
    stripe: createStripeClient({ secretKey: 'sk_test_local_sandbox', apiBase: sandbox.url }),
    webhookSecret,
    sandbox,
    banner: [
      `  Stripe       LOCAL SANDBOX at ${sandbox.url} (control API ${sandbox.url}/_sandbox/stats)`,
      '  !!!          No STRIPE_SECRET_KEY: payments go to the local Stripe sandbox. NO REAL MONEY MOVES.',
      '  !!!          Test cards: pm_card_visa (succeeds), pm_card_chargeCustomerFail (declines charges), pm_card_chargeDeclined',
      '  !!!          (refused when attached), pm_card_authenticationRequired (declined off-session: needs 3-D Secure).',
    ],
  };
}
