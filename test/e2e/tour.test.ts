// README.md's Tour, run as a reader would paste it: every ```sh block of the
// section, with bash and curl, in order, against a real `npm start` (fresh
// state folder, free ports); the setup block's BASE and TOKEN become this
// instance's. Each block states the status of every curl in it (and a piece
// of text its answer contains), and the sample answer shown after it must
// have the real answer's keys and its run-independent values, so the README
// cannot rot.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/state-dir';
import { launch, startEnv, type Started, type StartEnv } from '../helpers/npm-start';
import { readTour, runStep, sampleMismatches, setupWith } from '../helpers/readme-tour';

const tour = readTour(readFileSync(path.join(projectRoot, 'README.md'), 'utf8'));
let at: StartEnv;
let started: Started;
let setup: string;
let cwd: string;

beforeAll(async () => {
  at = await startEnv();
  started = await launch(at.env, 'npm');
  setup = setupWith(tour.setup, { BASE: `http://127.0.0.1:${at.ports.PORT}`, TOKEN: started.banner['API token']! });
  cwd = mkdtempSync(path.join(os.tmpdir(), 'billing-tour-'));
});
afterAll(async () => {
  if (started && started.child.exitCode === null) {
    process.kill(-started.child.pid!, 'SIGINT');
    await started.exited;
  }
  at?.remove();
  if (cwd) rmSync(cwd, { recursive: true, force: true });
});

describe('the README Tour against npm start', () => {
  it('covers the whole product: every step has a command and an expected status', () => {
    expect(tour.steps.length).toBeGreaterThanOrEqual(15);
    const all = tour.steps.map((s) => s.script).join('\n');
    for (const route of ['/v1/workspaces ', '/usage ', '/payment-method', '/purchases', '/on-demand', '/plan', '/features/', '/usage?', '/usage/history', '/invoices', '/pdf', '/cancel', '/resume', '/export']) {
      expect(all, route).toContain(route);
    }
    expect(tour.steps.map((s) => s.status)).toContain(402);
  });

  it.each(tour.steps.map((step, i) => [`${i + 1}: ${step.status} ${step.script.split('\n')[0]!.slice(0, 80)}`, step] as const))('%s', async (_title, step) => {
    const r = await runStep(setup, step, cwd);
    expect(r.code, r.stderr).toBe(0);
    expect(r.statuses.length, `no curl ran:\n${r.stderr}`).toBeGreaterThan(0);
    expect(r.statuses, r.stdout.slice(0, 2000)).toEqual(r.statuses.map(() => step.status));
    if (step.contains) expect(r.stdout).toContain(step.contains);
    if (step.sample) expect(sampleMismatches(step.sample, r.stdout), r.stdout.slice(0, 2000)).toEqual([]);
  });
});
