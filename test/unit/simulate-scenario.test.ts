// Scenario files are checked before any server starts: each kind of bad
// scenario is refused with a message naming the field it is about.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { partialMismatches } from '../../src/simulate/expect';
import { parseScenario, readScenario, ScenarioError } from '../../src/simulate/scenario';

const base = {
  start: '2027-01-31T10:00:00Z',
  until: '2028-02-01T00:00:00Z',
  workspaces: [{ id: 'acme', name: 'Acme', plan: 'pro' }],
};
const event = (e: Record<string, unknown>) => ({ at: '2027-02-10T09:00:00Z', workspace: 'acme', do: 'get', ...e });

function problems(raw: unknown): string[] {
  try {
    parseScenario(raw, 'test.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toContain('invalid scenario test.json');
    return (err as ScenarioError).problems;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario validation', () => {
  it('accepts the contract example, runs events by instant then file order, and takes `expect` out of workspace bodies', () => {
    const s = parseScenario({
      ...base,
      workspaces: [{ id: 'acme', plan: 'pro', expect: { status: 'active' } }],
      events: [
        event({ at: '2027-02-12T09:00:00Z', do: 'plan', body: { plan: 'growth' } }),
        event({ do: 'usage', body: { memberId: 'ann', action: 'chat_question', feature: 'chat' }, repeat: 120, expect: { statuses: { '200': 118, '402': 2 } } }),
        event({ do: 'feature', feature: 'chat', body: { enabled: false } }),
        event({ at: '2027-02-20T09:00:00Z', workspace: 'beta', do: 'create', body: { plan: 'free' } }),
        event({ at: '2027-02-21T09:00:00Z', workspace: 'beta', do: 'export' }),
      ],
    });
    expect(s.start).toBe(Date.parse('2027-01-31T10:00:00Z'));
    expect(s.workspaces).toEqual([{ id: 'acme', plan: 'pro' }]);
    expect(s.expect).toEqual({ acme: { status: 'active' } });
    expect(s.events.map((e) => [e.index, e.repeat])).toEqual([[0, 1], [1, 120], [2, 1], [3, 1], [4, 1]]);
  });

  it('refuses an unknown `do`, listing the known ones', () => {
    expect(problems({ ...base, events: [event({}), event({}), event({}), event({ do: 'refund' })] })).toEqual([
      'events[3].do: must be one of create, get, usage, purchase, plan, cancel, resume, payment-method, on-demand, feature, export',
    ]);
  });

  it.each([
    ['a day that does not exist', '2027-02-30T09:00:00Z'],
    ['no time zone', '2027-02-10T09:00:00'],
    ['another time zone than UTC', '2027-02-10T09:00:00+02:00'],
    ['not a date', 'next tuesday'],
  ])('refuses a bad date (%s)', (_, at) => {
    expect(problems({ ...base, events: [event({ at })] })).toEqual([expect.stringMatching(/^events\[0\]\.at: must be a UTC date-time/)]);
  });

  it('refuses a bad start, and an until that is not after start', () => {
    expect(problems({ ...base, start: '2027-13-01T00:00:00Z' })).toEqual([expect.stringMatching(/^start: must be a UTC date-time/)]);
    expect(problems({ ...base, until: base.start })).toEqual(['until: must be after start (2027-01-31T10:00:00Z)']);
  });

  it('refuses an event after `until` and one before `start`', () => {
    expect(problems({ ...base, events: [event({}), event({ at: '2028-02-01T00:00:01Z' }), event({ at: '2027-01-01T00:00:00Z' })] })).toEqual([
      'events[2].at: is before start (2027-01-31T10:00:00Z)',
      'events[1].at: is after until (2028-02-01T00:00:00Z)',
    ]);
  });

  it('refuses an unknown workspace, and one used before the event that creates it', () => {
    expect(problems({ ...base, events: [event({ workspace: 'ghost' })] })).toEqual([
      "events[0].workspace: unknown workspace 'ghost' (not in workspaces, nor created by an earlier event)",
    ]);
    const created = event({ at: '2027-03-01T00:00:00Z', workspace: 'beta', do: 'create', body: { plan: 'free' } });
    expect(problems({ ...base, events: [created, event({ workspace: 'beta' })] })).toEqual([
      "events[1].workspace: unknown workspace 'beta' (not in workspaces, nor created by an earlier event)",
    ]);
    expect(problems({ ...base, expect: { ghost: { status: 'active' } } })).toEqual(["expect.ghost: unknown workspace 'ghost'"]);
  });

  it('refuses missing and unknown fields, naming them', () => {
    expect(problems({ ...base, events: [{ at: '2027-02-10T09:00:00Z', do: 'get', when: 'now' }] })).toEqual([
      'events[0].workspace: is required',
      'events[0].when: is not a scenario field',
    ]);
    expect(problems({ ...base, events: [event({ do: 'feature' })] })).toEqual(['events[0].feature: is required']);
    expect(problems({ ...base, events: [event({ repeat: 0 })] })).toEqual(['events[0].repeat: must be >= 1']);
    expect(problems({ start: base.start, until: base.until })).toEqual(['workspaces: is required']);
  });

  it('refuses a workspace created twice and a create event whose body names another workspace', () => {
    expect(problems({ ...base, workspaces: [{ id: 'acme' }, { id: 'acme' }] })).toEqual(["workspaces[1].id: 'acme' is created twice"]);
    expect(problems({ ...base, events: [event({ do: 'create', workspace: 'beta', body: { id: 'gamma' } })] })).toEqual([
      "events[0].body.id: differs from workspace 'beta'",
    ]);
  });

  it('checks `pricing` with the PRICING_CONFIG rules, naming the field', () => {
    const found = problems({ ...base, pricing: { currency: 'eur' } });
    expect(found).toContain('pricing.currency: must be equal to constant');
    expect(found.some((p) => p.startsWith('pricing: must have required properties'))).toBe(true);
  });

  it('refuses a file that is not JSON', () => {
    expect(() => readScenario(path.join(import.meta.dirname, 'simulate-scenario.test.ts'))).toThrow(/\(file\): .*JSON/);
  });

  it('accepts every scenario shipped in scenarios/', () => {
    const dir = path.join(import.meta.dirname, '../../scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) expect(() => readScenario(path.join(dir, f))).not.toThrow();
  });
});

describe('expect blocks: partial match', () => {
  it('ignores keys not expected, compares lists entry by entry and names every mismatch', () => {
    const actual = { status: 'past_due', balance: { plan: 0, purchased: 5 }, invoices: [{ kind: 'renewal', totalCents: 2900, status: 'paid' }] };
    expect(partialMismatches({ status: 'past_due', balance: { plan: 0 }, invoices: [{ kind: 'renewal' }] }, actual, 'ws')).toEqual([]);
    expect(partialMismatches({ status: 'active', invoices: [{ status: 'open' }, { kind: 'final' }] }, actual, 'ws')).toEqual([
      'ws.status: expected "active", got "past_due"',
      'ws.invoices: expected 2 entries, got 1',
      'ws.invoices[0].status: expected "open", got "paid"',
    ]);
  });
});
