// `npm run simulate` as users run it (a child process): the shipped scenarios
// pass --check, --json prints the documented shape and nothing else on
// stdout, --out writes every invoice PDF, a wrong expectation is listed, a
// signal leaves no process behind, and --replay-usage compares two pricings
// on recorded usage. Scratch databases on this run's Postgres server; the
// run's workflow bundle (BILLING_WORKFLOW_BUNDLE).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { createScratchDatabase } from '../../src/db/scratch-database';

const run = promisify(execFile);
const MINUTE = 60_000;
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'billing-simulate-e2e-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({
  ...process.env,
  DATABASE_URL: inject('databaseUrl'),
  BILLING_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
  ...extra,
});

async function simulate(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/simulate/cli.ts', ...args], {
      cwd: projectRoot,
      env: env(extraEnv),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

function writeScenario(name: string, scenario: unknown): string {
  const file = path.join(tmp, name);
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

const workspace = (id: string, plan = 'pro') => ({
  id,
  name: `Simulated ${id}`,
  billingEmail: `finance@${id}.example`,
  billingAddress: { country: 'US', region: 'NY' },
  plan,
  paymentMethod: 'pm_card_visa',
});

describe('npm run simulate', () => {
  it('every scenario in scenarios/ passes --check', { timeout: 30 * MINUTE }, async () => {
    const files = readdirSync(path.join(projectRoot, 'scenarios'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => `scenarios/${f}`);
    const r = await simulate(['--check', ...files]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    for (const f of files) expect(r.stdout).toMatch(new RegExp(`^ok    ${f} `, 'm'));
    expect(r.stdout).toContain(`${files.length} passed, 0 failed`);
  });

  it('--json prints the documented document only, --out writes every invoice PDF', { timeout: 10 * MINUTE }, async () => {
    const file = writeScenario('json.json', {
      start: '2027-01-31T10:00:00.250Z',
      until: '2027-03-01T00:00:00Z',
      workspaces: [workspace('acme')],
      events: [
        { at: '2027-02-10T09:00:00.125Z', workspace: 'acme', do: 'usage', body: { memberId: 'ann', action: 'chat_question', feature: 'chat' }, repeat: 102 },
        { at: '2027-02-11T09:00:00Z', workspace: 'acme', do: 'purchase', body: { credits: 100 } },
        { at: '2027-02-12T09:00:00Z', workspace: 'acme', do: 'feature', feature: 'chat', body: { enabled: false } },
        { at: '2027-02-12T09:00:00Z', workspace: 'acme', do: 'usage', body: { memberId: 'ann', action: 'chat_question', feature: 'chat' } },
        { at: '2027-02-13T09:00:00Z', workspace: 'beta', do: 'create', body: workspace('beta', 'free') },
        { at: '2027-02-14T09:00:00Z', workspace: 'beta', do: 'get' },
        { at: '2027-02-14T09:00:00Z', workspace: 'acme', do: 'export' },
      ],
    });
    const out = path.join(tmp, 'pdfs');
    const r = await simulate([file, '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      events: Array<{ at: string; workspace: string; do: string; statuses: Record<string, number>; last: { status: number; body: Record<string, unknown> } }>;
      workspaces: Record<string, { final: Record<string, unknown>; invoices: Array<Record<string, unknown>>; notifications: Array<{ type: string; at: string }>; terms: Array<Record<string, unknown>> }>;
    };
    expect(doc.events.map((e) => [e.at, e.workspace, e.do])).toEqual([
      ['2027-02-10T09:00:00.125Z', 'acme', 'usage'],
      ['2027-02-11T09:00:00.000Z', 'acme', 'purchase'],
      ['2027-02-12T09:00:00.000Z', 'acme', 'feature'],
      ['2027-02-12T09:00:00.000Z', 'acme', 'usage'],
      ['2027-02-13T09:00:00.000Z', 'beta', 'create'],
      ['2027-02-14T09:00:00.000Z', 'beta', 'get'],
      ['2027-02-14T09:00:00.000Z', 'acme', 'export'],
    ]);
    expect(doc.events[0]).toMatchObject({ statuses: { '200': 100, '402': 2 }, last: { status: 402, body: { error: { code: 'credit_limit_reached' } } } });
    expect(doc.events[2]!.last.status).toBe(200);
    expect(doc.events[3]).toMatchObject({ statuses: { '403': 1 } });
    expect(doc.events[5]).toMatchObject({ statuses: { '200': 1 }, last: { body: { id: 'beta', plan: 'free' } } });

    const acme = doc.workspaces.acme!;
    // The workflow saw the scenario's start as now, to the millisecond: the first term starts there.
    expect(acme.terms[0]).toEqual({ index: 0, start: '2027-01-31T10:00:00.250Z', end: '2027-02-28T10:00:00.250Z', plan: 'pro', granted: 100, used: { plan: 100, purchased: 0, overage: 0 } });
    expect(acme.terms[1]).toMatchObject({ index: 1, start: '2027-02-28T10:00:00.250Z', plan: 'pro', granted: 100 });
    expect(acme.final).toMatchObject({ id: 'acme', plan: 'pro', status: 'active', balance: { plan: 100, purchased: 100 }, disabledFeatures: ['chat'] });
    expect(acme.invoices.map((i) => [i.kind, i.status, i.periodStart])).toEqual([
      ['renewal', 'paid', '2027-01-31T10:00:00.250Z'],
      ['credit_purchase', 'paid', '2027-01-31T10:00:00.250Z'],
      ['renewal', 'paid', '2027-02-28T10:00:00.250Z'],
    ]);
    expect(acme.notifications.map((n) => [n.type, n.at])).toEqual([
      ['invoice.finalized', '2027-01-31T10:00:00.250Z'],
      ['credits.low', '2027-02-10T09:00:00.125Z'],
      ['credits.exhausted', '2027-02-10T09:00:00.125Z'],
      ['invoice.finalized', '2027-02-11T09:00:00.000Z'],
      ['invoice.finalized', '2027-02-28T10:00:00.250Z'],
    ]);
    expect(doc.workspaces.beta!.final).toMatchObject({ plan: 'free', term: { start: '2027-02-13T09:00:00.000Z' } });

    // Every instant the system stamped by itself is a simulated one: the export's rows and paidAt too.
    const exported = doc.events[6]!.last.body as { exportedAt: string; usage: Array<{ at: string }>; ledger: Array<{ at: string; kind: string }> };
    expect(exported.exportedAt).toBe('2027-02-14T09:00:00.000Z');
    expect(new Set(exported.usage.map((u) => u.at))).toEqual(new Set(['2027-02-10T09:00:00.125Z']));
    expect(exported.ledger.map((l) => [l.kind, l.at])).toContainEqual(['grant', '2027-01-31T10:00:00.250Z']);
    expect(exported.ledger.map((l) => [l.kind, l.at])).toContainEqual(['purchase', '2027-02-11T09:00:00.000Z']);
    expect(acme.invoices.map((i) => i.paidAt)).toEqual(['2027-01-31T10:00:00.250Z', '2027-02-11T09:00:00.000Z', '2027-02-28T10:00:00.250Z']);
    const outside = instantsIn(doc).filter(([, at]) => at < '2027-01-31T10:00:00.250Z' || at > '2027-03-31T10:00:00.250Z');
    expect(outside, 'instants outside the simulated year (the machine clock?)').toEqual([]);

    const pdfs = readdirSync(out).sort();
    const numbers = Object.values(doc.workspaces).flatMap((w) => w.invoices.map((i) => `${String(i.number)}.pdf`));
    expect(pdfs).toEqual(numbers.sort());
    for (const f of pdfs) expect(readFileSync(path.join(out, f)).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('the timeline and --check list every mismatch of a wrong expectation', { timeout: 10 * MINUTE }, async () => {
    const file = writeScenario('wrong.json', {
      start: '2027-01-31T10:00:00Z',
      until: '2027-02-02T00:00:00Z',
      workspaces: [{ ...workspace('wrong', 'free'), expect: { status: 'past_due', balance: { plan: 25 }, invoices: [{ kind: 'renewal' }] } }],
      events: [
        { at: '2027-02-01T09:00:00Z', workspace: 'wrong', do: 'usage', body: { memberId: 'ann', action: 'chat_question', feature: 'chat' }, repeat: 3, expect: { status: 402 } },
      ],
    });
    const timeline = await simulate([file]);
    expect(timeline.code, timeline.stderr).toBe(1); // the run completed; its expectations did not hold
    expect(timeline.stdout).toMatch(/^2027-02-01T09:00:00Z\s+wrong\s+request\s+usage: 3x 200$/m);
    expect(timeline.stdout).toMatch(/^2027-01-31T10:00:00Z\s+wrong\s+status\s+workspace created: plan free, active$/m);

    const r = await simulate(['--check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL  ${file}`);
    expect(r.stdout).toContain('events[0] (usage wrong at 2027-02-01T09:00:00.000Z).status: expected every answer 402, got {"200":3}');
    expect(r.stdout).toContain('workspaces.wrong.status: expected "past_due", got "active"');
    expect(r.stdout).toContain('workspaces.wrong.balance.plan: expected 25, got 22');
    expect(r.stdout).toContain('workspaces.wrong.invoices: expected 1 entries, got 0');
    expect(r.stdout).toContain('0 passed, 1 failed');
  });

  it('an invalid scenario exits 2 naming the field, before anything starts', async () => {
    const file = writeScenario('bad.json', {
      start: '2027-01-31T10:00:00Z',
      until: '2027-03-01T00:00:00Z',
      workspaces: [workspace('acme')],
      events: [{ at: '2027-04-01T00:00:00Z', workspace: 'acme', do: 'teleport' }],
    });
    const r = await simulate([file, '--json']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('events[0].do: must be one of create, get, usage');
  });

  it('SIGTERM stops the test server, the worker and Postgres: nothing is left running', { timeout: 10 * MINUTE }, async () => {
    const file = writeScenario('long.json', {
      start: '2027-01-31T10:00:00Z',
      until: '2030-01-31T00:00:00Z',
      workspaces: [workspace('long')],
    });
    // No DATABASE_URL: the embedded Postgres is started, and must be stopped, by the simulator.
    const { DATABASE_URL: _, ...noDatabase } = env();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulate/cli.ts', file, '--verbose'], { cwd: projectRoot, env: noDatabase });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (!/2027-0[3-9]/.test(stderr)) {
      if (child.exitCode !== null) throw new Error(`the simulator ended early: ${stderr}`);
      await sleep(200);
    }
    const descendants = descendantsOf(child.pid!);
    expect(descendants.length).toBeGreaterThanOrEqual(2); // the test server and the postmaster at least
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    for (let i = 0; i < 100 && descendants.some(alive); i++) await sleep(100);
    expect(descendants.filter(alive)).toEqual([]);
  });

  it('--replay-usage replays recorded usage under another pricing, invoices side by side per term', { timeout: 15 * MINUTE }, async () => {
    const db = await createScratchDatabase(inject('databaseUrl'), 'simulate_replay');
    try {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const anchor = '2027-01-31T10:00:00Z';
      await client.query(
        `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, anchor_at, term_start, term_end)
         VALUES ('hist', 'History Inc', 'finance@hist.example', '{"country":"US","region":"NY"}', 'pro', $1, $1, '2027-02-28T10:00:00Z')`,
        [anchor],
      );
      // 120 questions in the first term, 30 in the second, as recorded.
      const at = (base: string, i: number) => new Date(Date.parse(base) + i * 1000);
      const rows = [...Array.from({ length: 120 }, (_, i) => at('2027-02-10T09:00:00Z', i)), ...Array.from({ length: 30 }, (_, i) => at('2027-03-05T09:00:00Z', i))];
      for (const [i, when] of rows.entries()) {
        await client.query(
          `INSERT INTO usage_events (workspace_id, idempotency_key, request_hash, member_id, action, feature, credits, plan_credits,
             purchased_credits, overage_credits, shortfall_credits, already_performed, term_index, at, response)
           VALUES ('hist', $1, 'h', 'ann', 'chat_question', 'chat', 1, 1, 0, 0, 0, false, 0, $2, '{}')`,
          [`rec-${i}`, when],
        );
      }
      await client.end();
      const pricing = JSON.parse(readFileSync(path.join(projectRoot, 'src/config/pricing.default.json'), 'utf8')) as { plans: Record<string, unknown> };
      pricing.plans.pro = { name: 'Pro', monthlyCredits: 150, monthlyPriceCents: 3900 };
      const pricingFile = path.join(tmp, 'new-pricing.json');
      writeFileSync(pricingFile, JSON.stringify(pricing));

      const args = ['--replay-usage', 'hist', '--from', '2027-02-01T00:00:00Z', '--to', '2027-04-01T00:00:00Z', '--pricing', pricingFile];
      const r = await simulate(args, { DATABASE_URL: db.url });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('hist: invoices per term, current pricing vs proposed');
      expect(r.stdout).toMatch(/term 0 {2}2027-01-31 \.\. 2027-02-28\n {2}renewal +\$30\.16 {3}\| {2}renewal +\$40\.56\n {2}used 100\+0\+0 .*\| {2}used 120\+0\+0/);
      expect(r.stdout).toMatch(/term 1 {2}2027-02-28 \.\. 2027-03-31\n {2}renewal +\$30\.16 {3}\| {2}renewal +\$40\.56\n {2}used 30\+0\+0 .*\| {2}used 30\+0\+0/);
      expect(r.stdout).toContain('total invoiced: $90.48 current, $121.68 proposed (+$31.20)');
    } finally {
      await db.drop();
    }
  });
});

/** Every date-time string in a document, with its path. */
function instantsIn(value: unknown, at = ''): Array<[string, string]> {
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value) ? [[at, value]] : [];
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => instantsIn(v, `${at}.${k}`));
}

/** Every process below `pid` (children, grandchildren, ...), from /proc. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent !== p) continue;
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}
