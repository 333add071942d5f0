// What one usage request costs in credits (SPEC section 2). The metering
// rules are configuration (PricingConfig.actions); this is their arithmetic.
import type { PricingConfig } from './pricing';

export type Metering =
  | { ok: true; billable: true; credits: number }
  | { ok: true; billable: false; credits: 0 }
  | { ok: false; reason: 'unknown_action' | 'tokens_required' | 'invalid_tokens'; message: string };

/**
 * Cost of `action`: flat actions cost their fixed credits, token-metered ones
 * ceil(tokens / tokensPerCredit) with a per-request minimum, non-billable
 * ones nothing. An unknown action is an error, never free usage.
 */
export function creditCost(pricing: PricingConfig, action: string, tokens?: number | null): Metering {
  const rule = Object.hasOwn(pricing.actions, action) ? pricing.actions[action] : undefined;
  if (!rule) return { ok: false, reason: 'unknown_action', message: `unknown action '${action}'` };
  if (tokens !== undefined && tokens !== null && !(Number.isSafeInteger(tokens) && tokens >= 0)) {
    return { ok: false, reason: 'invalid_tokens', message: `tokens must be an integer >= 0, got ${tokens}` };
  }
  switch (rule.kind) {
    case 'free':
      return { ok: true, billable: false, credits: 0 };
    case 'flat':
      return { ok: true, billable: true, credits: rule.credits };
    case 'tokens': {
      if (tokens === undefined || tokens === null) {
        return { ok: false, reason: 'tokens_required', message: `action '${action}' is metered by tokens: send tokens (integer >= 0)` };
      }
      return { ok: true, billable: true, credits: Math.max(rule.minCredits, Math.ceil(tokens / rule.tokensPerCredit)) };
    }
  }
}
