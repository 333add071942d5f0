import { describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { creditCost } from '../../src/domain/metering';

const pricing = loadPricing();

describe('creditCost', () => {
  it.each([
    ['chat_question', undefined, 1],
    ['automation_query', undefined, 1],
    ['api_analysis', undefined, 1],
    ['slack_query', 5000, 1], // flat actions ignore tokens
    ['ai_assist', 0, 1], // minimum 1 per request
    ['ai_assist', 1, 1],
    ['ai_assist', 999, 1],
    ['ai_assist', 1000, 1],
    ['ai_assist', 1001, 2],
    ['ai_assist', 1999, 2],
    ['ai_assist', 2000, 2],
    ['ai_assist', 250_000, 250],
    ['ai_assist', 250_001, 251],
  ])('%s with %s tokens costs %i credits', (action, tokens, credits) => {
    expect(creditCost(pricing, action, tokens)).toEqual({ ok: true, billable: true, credits });
  });

  it.each(['view_liveboard', 'refresh_liveboard', 'browse_schema', 'edit_settings'])('%s is not billable', (action) => {
    expect(creditCost(pricing, action)).toEqual({ ok: true, billable: false, credits: 0 });
  });

  it.each([
    ['teleport', undefined, 'unknown_action'],
    ['toString', undefined, 'unknown_action'], // not fooled by Object.prototype
    ['__proto__', undefined, 'unknown_action'],
    ['ai_assist', undefined, 'tokens_required'],
    ['ai_assist', null, 'tokens_required'],
    ['ai_assist', -1, 'invalid_tokens'],
    ['ai_assist', 1.5, 'invalid_tokens'],
    ['chat_question', Number.NaN, 'invalid_tokens'],
  ])('%s with tokens %s is refused as %s', (action, tokens, reason) => {
    const result = creditCost(pricing, action, tokens);
    expect(result).toMatchObject({ ok: false, reason });
  });

  it('follows the config: a custom minimum of 0 and another rate', () => {
    const custom = { ...pricing, actions: { summarize: { kind: 'tokens' as const, tokensPerCredit: 500, minCredits: 0 } } };
    expect(creditCost(custom, 'summarize', 0)).toEqual({ ok: true, billable: true, credits: 0 });
    expect(creditCost(custom, 'summarize', 501)).toEqual({ ok: true, billable: true, credits: 2 });
    expect(creditCost(custom, 'chat_question')).toMatchObject({ ok: false, reason: 'unknown_action' });
  });
});
