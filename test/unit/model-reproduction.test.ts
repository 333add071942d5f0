// The model checker's command generator and its printed reproductions, without
// servers: every command kind of issue 13 is generated, and every printed
// sequence (what a failure prints for --replay) parses back to the same commands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as C from '../model/commands';
import { parseSequence } from '../model/run';

const SEQUENCES = fc.sample(fc.tuple(C.firstCreate, fc.commands(C.commandArbs, { maxCommands: 12, size: 'max' })), { seed: 13, numRuns: 300 });
const printed = SEQUENCES.map(([first, cmds]) => [String(first), ...[...cmds].map(String)]);
const all = printed.flat();
const named = (name: string) => all.filter((c) => c.startsWith(`${name}(`)).map((c) => JSON.parse(`[${c.slice(name.length + 1, -1)}]`) as unknown[]);

describe('model checker: commands and reproductions', () => {
  it('a printed sequence parses back to the same commands', () => {
    for (const p of printed) expect(parseSequence(JSON.stringify(p)).map(String)).toEqual(p);
  });

  it('generates every command kind', () => {
    const kinds = new Set(all.map((c) => c.slice(0, c.indexOf('('))));
    expect([...kinds].sort()).toEqual(
      ['advance', 'advanceToTermEnd', 'cancel', 'changePlan', 'create', 'feature', 'onDemand', 'paymentMethod', 'purchase', 'repeatCreate', 'restartWorker', 'resume', 'stripeFault', 'usage', 'usageBurst', 'webhook'].sort(),
    );
  });

  it('sign-ups on every plan with good, declined and 3-D Secure cards; plan changes to every plan', () => {
    const creates = named('create').map(([r]) => r as { plan: string; paymentMethod?: string });
    expect(new Set(creates.map((r) => r.plan))).toEqual(new Set(['free', 'pro', 'growth', 'enterprise']));
    expect(new Set(creates.map((r) => r.paymentMethod))).toEqual(
      new Set([undefined, 'pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired', 'pm_card_chargeCustomerFail']),
    );
    expect(new Set(named('changePlan').map(([p]) => p))).toEqual(new Set(['free', 'pro', 'growth', 'enterprise']));
    expect(new Set(named('paymentMethod').map(([c]) => c))).toContain('pm_card_chargeDeclined');
  });

  it('usage: every action, token counts from 0 up, alreadyPerformed, reused keys, bursts', () => {
    const specs = [...named('usage').map(([s]) => s), ...named('usageBurst').map(([s]) => s)] as C.UsageSpec[];
    expect(new Set(specs.map((s) => s.action))).toEqual(
      new Set(['chat_question', 'automation_query', 'api_analysis', 'slack_query', 'ai_assist', 'view_liveboard', 'refresh_liveboard', 'browse_schema', 'edit_settings', 'summon_unicorn']),
    );
    const tokens = specs.flatMap((s) => (s.tokens === undefined ? [] : [s.tokens]));
    expect(Math.min(...tokens)).toBe(0);
    expect(Math.max(...tokens)).toBeGreaterThan(100_000);
    expect(Math.max(...tokens)).toBeLessThanOrEqual(250_000);
    expect(new Set(specs.map((s) => s.alreadyPerformed))).toEqual(new Set([true, false]));
    expect(specs.some((s) => s.reuse >= 0)).toBe(true);
    expect(named('usageBurst').every(([, n]) => (n as number) >= 2)).toBe(true);
  });

  it('purchases in and out of range, time from minutes to 45 days, both Stripe faults, repeated webhooks', () => {
    const credits = named('purchase').map(([c]) => c as number);
    expect(credits).toEqual(expect.arrayContaining([99, 100_001]));
    expect(credits.some((c) => c >= 100 && c <= 100_000)).toBe(true);
    const ms = named('advance').map(([m]) => m as number);
    expect(Math.min(...ms)).toBeLessThan(60 * 60_000);
    expect(Math.max(...ms)).toBeGreaterThan(30 * 86_400_000);
    expect(Math.max(...ms)).toBeLessThanOrEqual(45 * 86_400_000);
    expect(new Set(named('stripeFault').map(([, when]) => when))).toEqual(new Set(['before', 'after']));
    expect(named('webhook').some(([, copies]) => (copies as number) > 1)).toBe(true);
  });
});
