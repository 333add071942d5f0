// The one way this project talks to Stripe: the official client, pointed at
// api.stripe.com, stripe-mock or the local sandbox by STRIPE_API_BASE.
import Stripe from 'stripe';

export interface StripeClientConfig {
  secretKey: string;
  /** e.g. http://127.0.0.1:12111; absent = api.stripe.com. Only scheme, host and port are used. */
  apiBase?: string | undefined;
  /** Request timeout; a timed-out charge is retried with the same idempotency key. */
  timeoutMs?: number;
}

export function createStripeClient({ secretKey, apiBase, timeoutMs = 20_000 }: StripeClientConfig): Stripe {
  const options: Stripe.StripeConfig = {
    // Temporal retries activities; the client does not retry on its own, so every
    // attempt is visible in the workflow history.
    maxNetworkRetries: 0,
    timeout: timeoutMs,
    appInfo: { name: 'credit-billing-orchestrator' },
  };
  if (apiBase) {
    const url = new URL(apiBase);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`STRIPE_API_BASE must be http(s), got ${apiBase}`);
    if (url.pathname !== '/' || url.search) throw new Error(`STRIPE_API_BASE must have no path, got ${apiBase}`);
    const protocol = url.protocol === 'https:' ? 'https' : 'http';
    options.protocol = protocol;
    options.host = url.hostname;
    options.port = url.port ? Number(url.port) : protocol === 'https' ? 443 : 80;
  }
  return new Stripe(secretKey, options);
}
