// The README's Tour, read as the tests run it: a setup block (`# tour: setup`)
// defining the shell variables the commands use, then one ```sh block per step,
// its first line `# expect: <status> [text the answer contains]`.
import { execFile } from 'node:child_process';

export interface TourStep {
  /** The step's commands, without the expect line. */
  script: string;
  status: number;
  contains: string | undefined;
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
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  const setup = blocks.filter((b) => b.startsWith('# tour: setup\n'));
  if (setup.length !== 1) throw new Error(`the Tour needs exactly one "# tour: setup" block, found ${setup.length}`);
  const steps = blocks
    .filter((b) => !b.startsWith('# tour: setup\n'))
    .map((b) => {
      const m = /^# expect: (\d{3})(?: (.+))?\n/.exec(b);
      if (!m) throw new Error(`a Tour block without "# expect: <status>":\n${b}`);
      return { script: b.slice(m[0].length), status: Number(m[1]), contains: m[2] };
    });
  return { setup: setup[0]!, steps };
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
