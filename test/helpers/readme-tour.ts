// The README's Tour, read as the tests run it: a setup block (`# tour: setup`)
// defining the shell variables the commands use, then one ```sh block per step,
// its first line `# expect: <status> [text the answer contains]`, and after it
// the answer a reader should see (a ```json or ```text block, trimmed with `…`).
import { execFile } from 'node:child_process';

export interface TourStep {
  /** The step's commands, without the expect line. */
  script: string;
  status: number;
  contains: string | undefined;
  /** The README's sample answer shown after the step, if any. */
  sample: string | undefined;
}

export interface Tour {
  setup: string;
  steps: TourStep[];
}

export function readTour(readme: string): Tour {
  const start = readme.indexOf('\n## Tour\n');
  if (start < 0) throw new Error('README.md has no "## Tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```(sh|json|text)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, text: m[2]! }));
  const setup = blocks.filter((b) => b.lang === 'sh' && b.text.startsWith('# tour: setup\n'));
  if (setup.length !== 1) throw new Error(`the Tour needs exactly one "# tour: setup" block, found ${setup.length}`);
  const steps: TourStep[] = [];
  for (const b of blocks) {
    if (b.lang !== 'sh') {
      const last = steps.at(-1);
      if (last && last.sample === undefined) last.sample = b.text;
      continue;
    }
    if (b.text.startsWith('# tour: setup\n')) continue;
    const m = /^# expect: (\d{3})(?: (.+))?\n/.exec(b.text);
    if (!m) throw new Error(`a Tour block without "# expect: <status>":\n${b.text}`);
    steps.push({ script: b.text.slice(m[0].length), status: Number(m[1]), contains: m[2], sample: undefined });
  }
  return { setup: setup[0]!.text, steps };
}

/** The setup block with the given variables' definitions replaced (the test's own address and token). */
export function setupWith(setup: string, values: Record<string, string>): string {
  return setup
    .split('\n')
    .map((line) => {
      const name = /^([A-Z_]+)=/.exec(line)?.[1];
      return name && name in values ? `${name}='${values[name]}'` : line;
    })
    .join('\n');
}

// Every curl reports its status on stderr (after the body), so the README's commands stay as a reader types them.
const STATUS_REPORTING_CURL = `curl() { command curl -w '%{stderr}__STATUS__ %{http_code}\\n' "$@"; }`;

export interface StepRun {
  stdout: string;
  statuses: number[];
  code: number;
  stderr: string;
}

/** Runs one step with bash after the setup, in `cwd`. */
export function runStep(setup: string, step: TourStep, cwd: string): Promise<StepRun> {
  const script = [setup, STATUS_REPORTING_CURL, step.script].join('\n');
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const statuses = [...stderr.matchAll(/^__STATUS__ (\d{3})$/gm)].map((m) => Number(m[1]));
      resolve({ stdout, stderr, statuses, code: err ? ((err as { code?: number }).code ?? 1) : 0 });
    });
  });
}

// A `"key": value` pair of a JSON text, the value a scalar as written.
const PAIR = /"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/g;
// Values that differ from run to run: prorated days (the month's length), instants, ids, Stripe references, numbers carrying the year, tokens.
const VARYING = /\d+\/\d+ days|\d{4}-\d{2}-\d{2}T|[0-9a-f]{8}-[0-9a-f]{4}-|"pi_|INV-\d{4}-|bk_(full|read)_/;

/**
 * What the README's sample answer says that the real answer does not: keys it
 * shows that the answer lacks, keys of the answer it leaves out (unless
 * trimmed with `…`), and scalar values that should be the same on every run
 * (counts, amounts, codes, messages without instants) but differ.
 */
export function sampleMismatches(sample: string, actual: string): string[] {
  const keys = (text: string) => new Set([...text.matchAll(PAIR)].map((m) => m[1]!).concat([...text.matchAll(/"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*[[{]/g)].map((m) => m[1]!)));
  const shown = keys(sample);
  const real = keys(actual);
  const realPairs = new Set([...actual.matchAll(PAIR)].map((m) => `${m[1]}: ${m[2]}`));
  const problems: string[] = [];
  for (const k of shown) if (!real.has(k)) problems.push(`the sample shows "${k}", the answer has no such key`);
  if (!sample.includes('…')) for (const k of real) if (!shown.has(k)) problems.push(`the answer has "${k}", the sample leaves it out`);
  for (const m of sample.matchAll(PAIR)) {
    if (VARYING.test(m[2]!)) continue;
    const pair = `${m[1]}: ${m[2]}`;
    if (real.has(m[1]!) && !realPairs.has(pair)) problems.push(`the sample says ${pair}, the answer does not`);
  }
  return problems;
}
