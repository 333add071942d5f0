// A scenario's `expect` blocks against a run: per event (`status`: every
// answer had it; `statuses`: the exact counts; `body`: the last answer) and
// per workspace at the end (a partial match of its final GET, with its
// invoices, notifications and terms). Every mismatch is listed with its path.
import type { SimulationResult } from './run';
import type { Scenario } from './scenario';

/**
 * Partial match: an expected object's keys must match (others are ignored);
 * an expected array must have the same length, element by element.
 */
export function partialMismatches(expected: unknown, actual: unknown, at: string): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected a list, got ${JSON.stringify(actual)}`];
    const out: string[] = [];
    if (actual.length !== expected.length) out.push(`${at}: expected ${expected.length} entries, got ${actual.length}`);
    expected.forEach((e, i) => i < actual.length && out.push(...partialMismatches(e, actual[i], `${at}[${i}]`)));
    return out;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) => partialMismatches(v, (actual as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return Object.is(expected, actual) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

export function scenarioMismatches(scenario: Scenario, result: SimulationResult): string[] {
  const out: string[] = [];
  for (const e of scenario.events) {
    if (!e.expect) continue;
    const r = result.events[e.index]!;
    const at = `events[${e.index}] (${e.do} ${e.workspace} at ${r.at})`;
    if (e.expect.status !== undefined) {
      const others = Object.entries(r.statuses).filter(([s]) => Number(s) !== e.expect!.status);
      if (others.length) out.push(`${at}.status: expected every answer ${e.expect.status}, got ${JSON.stringify(r.statuses)} (last: ${JSON.stringify(r.last.body)})`);
    }
    if (e.expect.statuses !== undefined) {
      const want = Object.fromEntries(Object.entries(e.expect.statuses).filter(([, n]) => n > 0));
      const keys = new Set([...Object.keys(want), ...Object.keys(r.statuses)]);
      if ([...keys].some((k) => (want[k] ?? 0) !== (r.statuses[k] ?? 0))) {
        out.push(`${at}.statuses: expected ${JSON.stringify(want)}, got ${JSON.stringify(r.statuses)}`);
      }
    }
    if (e.expect.body !== undefined) out.push(...partialMismatches(e.expect.body, r.last.body, `${at}.body`));
  }
  for (const [id, expected] of Object.entries(scenario.expect)) {
    const ws = result.workspaces[id];
    const actual = ws ? { ...ws.final, final: ws.final, invoices: ws.invoices, notifications: ws.notifications, terms: ws.terms } : undefined;
    out.push(...partialMismatches(expected, actual, `workspaces.${id}`));
  }
  return out;
}
