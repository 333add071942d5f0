// A scenario file (README "Simulating billing"): checked against the JSON
// Schema shipped beside this file, then for what a schema cannot say (an
// event after `until`, a workspace nobody created, the pricing config). Every
// problem names the field it is about, e.g. `events[3].do: must be one of ...`.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { parsePricing } from '../config/pricing';
import type { PricingConfig } from '../domain/pricing';

export const ACTIONS = ['create', 'get', 'usage', 'purchase', 'plan', 'cancel', 'resume', 'payment-method', 'on-demand', 'feature', 'export'] as const;
export type Action = (typeof ACTIONS)[number];

export interface EventExpect {
  status?: number;
  statuses?: Record<string, number>;
  body?: unknown;
}

export interface ScenarioEvent {
  /** Position in the file (events run by `at`, then by position). */
  index: number;
  at: number;
  workspace: string;
  do: Action;
  feature?: string;
  body?: Record<string, unknown>;
  repeat: number;
  expect?: EventExpect;
}

export interface Scenario {
  start: number;
  until: number;
  /** The scenario's own pricing, or undefined for the service's (PRICING_CONFIG or the default). */
  pricing?: PricingConfig;
  /** POST /v1/workspaces bodies, created at start in order. */
  workspaces: Array<Record<string, unknown> & { id: string }>;
  events: ScenarioEvent[];
  /** End-of-run partial matches per workspace id. */
  expect: Record<string, Record<string, unknown>>;
}

export class ScenarioError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid scenario ${source}:\n  ${problems.join('\n  ')}`);
  }
}

// ajv-formats is CommonJS: under Node's ESM loader its default export is the module object.
const addFormats = ((addFormatsPlugin as unknown as { default?: typeof addFormatsPlugin }).default ?? addFormatsPlugin) as typeof addFormatsPlugin;
const schema: unknown = JSON.parse(readFileSync(new URL('./scenario.schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
addFormats(ajv, ['date-time']);
const validate = ajv.compile(schema as object);

/** `/events/3/do` -> `events[3].do`. */
function fieldPath(pointer: string, child?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (child !== undefined) parts.push(child);
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(scenario)';
}

function describeError(e: ErrorObject): string | null {
  switch (e.keyword) {
    case 'required':
      return `${fieldPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty)}: is required`;
    case 'additionalProperties':
      return `${fieldPath(e.instancePath, (e.params as { additionalProperty: string }).additionalProperty)}: is not a scenario field`;
    case 'enum':
      return `${fieldPath(e.instancePath)}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'format':
    case 'pattern':
      if (e.parentSchema && (e.parentSchema as { format?: string }).format === 'date-time') {
        return `${fieldPath(e.instancePath)}: must be a UTC date-time like 2027-01-31T10:00:00Z (got ${JSON.stringify(e.data)})`;
      }
      return `${fieldPath(e.instancePath)}: ${e.message ?? 'is invalid'} (got ${JSON.stringify(e.data)})`;
    case 'if':
      return null; // the `then` branch's own error says what is missing
    default:
      return `${fieldPath(e.instancePath)}: ${e.message ?? 'is invalid'}`;
  }
}

/** Checks a parsed scenario file; throws ScenarioError listing every problem. */
export function parseScenario(raw: unknown, source = 'scenario'): Scenario {
  if (!validate(raw)) {
    const problems = [...new Set((validate.errors ?? []).map(describeError).filter((p): p is string => p !== null))];
    throw new ScenarioError(source, problems);
  }
  const file = raw as {
    start: string;
    until: string;
    pricing?: unknown;
    workspaces: Array<Record<string, unknown> & { id: string; expect?: Record<string, unknown> }>;
    events?: Array<Omit<ScenarioEvent, 'index' | 'at' | 'repeat'> & { at: string; repeat?: number; body?: Record<string, unknown> }>;
    expect?: Record<string, Record<string, unknown>>;
  };
  const problems: string[] = [];
  const start = Date.parse(file.start);
  const until = Date.parse(file.until);
  if (until <= start) problems.push(`until: must be after start (${file.start})`);

  let pricing: PricingConfig | undefined;
  if (file.pricing !== undefined) {
    try {
      pricing = parsePricing(file.pricing, 'pricing');
    } catch (err) {
      // One problem per line, `/plans/pro/name must ...` -> `pricing.plans.pro.name: must ...`.
      for (const line of (err as Error).message.replace(/^invalid pricing:\s*/, '').split('\n')) {
        const m = /^\s*(\/\S*) (.*)$/.exec(line);
        problems.push(m ? `${fieldPath(`/pricing${m[1] === '/' ? '' : m[1]}`)}: ${m[2]}` : `pricing: ${line.trim()}`);
      }
    }
  }

  const known = new Set<string>();
  const workspaces = file.workspaces.map(({ expect: _expect, ...body }, i) => {
    if (known.has(body.id)) problems.push(`workspaces[${i}].id: '${body.id}' is created twice`);
    known.add(body.id);
    return body;
  });
  const expect: Scenario['expect'] = {};
  file.workspaces.forEach((w) => w.expect && (expect[w.id] = w.expect));

  const events: ScenarioEvent[] = (file.events ?? []).map((e, index) => ({ ...e, index, at: Date.parse(e.at), repeat: e.repeat ?? 1 }));
  // Workspaces exist from their create event on: check in run order.
  for (const e of [...events].sort(runOrder)) {
    const field = `events[${e.index}]`;
    if (e.at < start) problems.push(`${field}.at: is before start (${file.start})`);
    if (e.at > until) problems.push(`${field}.at: is after until (${file.until})`);
    if (e.do === 'create') {
      const bodyId = e.body?.id;
      if (bodyId !== undefined && bodyId !== e.workspace) problems.push(`${field}.body.id: differs from workspace '${e.workspace}'`);
      known.add(e.workspace);
    } else if (!known.has(e.workspace)) {
      problems.push(`${field}.workspace: unknown workspace '${e.workspace}' (not in workspaces, nor created by an earlier event)`);
    }
  }
  for (const [id, exp] of Object.entries(file.expect ?? {})) {
    if (!known.has(id)) problems.push(`expect.${id}: unknown workspace '${id}'`);
    else expect[id] = { ...expect[id], ...exp };
  }
  if (problems.length) throw new ScenarioError(source, problems);
  return { start, until, ...(pricing ? { pricing } : {}), workspaces, events, expect };
}

/** By instant, then file order. */
export function runOrder(a: ScenarioEvent, b: ScenarioEvent): number {
  return a.at - b.at || a.index - b.index;
}

/** Reads and checks a scenario file (a JSON syntax error is a problem too). */
export function readScenario(file: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ScenarioError(file, [`(file): ${(err as Error).message}`]);
  }
  return parseScenario(raw, file);
}
