// Runs random command sequences (fast-check, seeded and shrinking) against the
// reference model and the real system; shared by the vitest project `model`
// and `npm run check:model`. A failure is reported as its minimal sequence,
// replayable with --replay '<json>' (or the seed and path).
import fc from 'fast-check';
import * as C from './commands';
import type { World } from './check';
import type { ModelSystem } from './system';

export interface CheckOptions {
  runs: number;
  seed: number;
  maxCommands: number;
  /** fast-check's path of a failure to replay (with its seed). */
  path?: string;
  /** No new sequence (nor shrink) starts after this long: the test suite's budget. */
  timeLimitMs?: number;
  log?: (line: string) => void;
}

export interface CheckResult {
  sequences: number;
  failures: number;
  /** The time limit stopped the run before `runs` sequences. */
  interrupted?: boolean;
  /** The minimal failing sequence, as --replay takes it. */
  replay?: string;
  error?: string;
}

let sequenceNo = 0;
const newWorld = (): World => ({
  m: C.newModel(),
  ws: `mc-${process.pid}-${Date.now().toString(36)}-${++sequenceNo}`,
  keys: [],
  purchaseKeys: [],
  faultWindow: false,
  faultClosedAt: null,
  log: [],
});

async function runSequence(sys: ModelSystem, cmds: Iterable<C.Cmd>): Promise<void> {
  sys.restartArmed = false;
  sys.h.sandbox.clearFaults();
  let failure: unknown = null;
  try {
    await fc.asyncModelRun(() => ({ model: newWorld(), real: sys }), cmds);
  } catch (err) {
    failure = err;
  }
  // Ended, or every later time advance renews every earlier sequence's workspaces
  // too: a soak's chunks took twice as long each as the one before.
  try {
    await sys.restartsDone();
    await sys.h.endWorkspaces();
  } catch (err) {
    // After a divergence the divergence is the report: a clean-up error must not replace it.
    if (failure === null) throw err;
    console.error(`model: cleaning up after a failed sequence also failed: ${String(err)}`);
  }
  if (failure !== null) throw failure;
  if (!(await sys.timeStillSkips())) {
    // A task lock the test server kept (README, Model checker: the idle hang):
    // a failure of this sequence, on a new server so that shrinking and the
    // sequences after it can still advance time.
    await sys.renew();
    throw new Error('after this sequence the time-skipping server no longer skipped time (it kept a task lock: was a workflow ended with a task out?)');
  }
}

export async function checkModel(sys: ModelSystem, opts: CheckOptions): Promise<CheckResult> {
  const property = fc.asyncProperty(
    C.firstCreate,
    fc.commands(C.commandArbs, { maxCommands: opts.maxCommands, size: 'max' }),
    async (first, cmds) => {
      await runSequence(sys, [first, ...cmds]);
    },
  );
  const details = await fc.check(property, {
    numRuns: opts.runs,
    seed: opts.seed,
    ...(opts.path ? { path: opts.path } : {}),
    ...(opts.timeLimitMs ? { interruptAfterTimeLimit: opts.timeLimitMs, markInterruptAsFailure: false } : {}),
  });
  if (!details.failed || !details.counterexample) return { sequences: details.numRuns, failures: 0, ...(details.interrupted ? { interrupted: true } : {}) };
  const [first, cmds] = details.counterexample;
  // Only the commands that ran (fast-check's own report filters the same flag): those after the
  // failing one, or refused by check(), would make the printed sequence longer than the minimal one.
  const ran = [...cmds].filter((c) => (c as { hasRan?: boolean }).hasRan !== false);
  const replay = JSON.stringify([String(first), ...ran.map(String)]);
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  opts.log?.(
    `model: a sequence diverged (seed ${opts.seed}, path ${details.counterexamplePath}, ${details.numShrinks} shrinks):\n` +
      `  ${error}\n  minimal sequence (${ran.length + 1} command${ran.length === 0 ? '' : 's'}): ${replay}\n` +
      `  replay: npm run check:model -- --replay '${replay}'\n` +
      `  or:     npm run check:model -- --seed ${opts.seed} --path ${details.counterexamplePath} --max-commands ${opts.maxCommands}`,
  );
  return { sequences: details.numRuns, failures: 1, replay, error };
}

/** Command strings (as printed) back to commands. */
export function parseSequence(json: string): C.Cmd[] {
  const names: Record<string, (...a: never[]) => C.Cmd> = {
    create: (req: C.Create['req']) => new C.Create(req),
    repeatCreate: () => new C.RepeatCreate(),
    usage: (s: C.UsageSpec) => new C.Usage(s),
    usageBurst: (s: C.UsageSpec, n: number) => new C.UsageBurst(s, n),
    purchase: (c: number, r: number) => new C.Purchase(c, r),
    changePlan: (p: C.ChangePlan['plan'], e?: C.ChangePlan['enterprise']) => new C.ChangePlan(p, e),
    cancel: () => new C.Cancel(),
    resume: () => new C.Resume(),
    paymentMethod: (c: C.PaymentMethod['card']) => new C.PaymentMethod(c),
    onDemand: (e: boolean, l: number) => new C.OnDemand(e, l),
    feature: (f: string, e: boolean) => new C.Feature(f, e),
    advance: (ms: number) => new C.Advance(ms, false),
    advanceToTermEnd: () => new C.Advance(0, true),
    stripeFault: (n: number, when: 'before' | 'after') => new C.StripeFault(n, when),
    webhook: (p: number, n: number) => new C.Webhook(p, n),
    restartWorker: () => new C.RestartWorker(),
  };
  return (JSON.parse(json) as string[]).map((text) => {
    const m = /^(\w+)\((.*)\)$/s.exec(text);
    const make = m && names[m[1]!];
    if (!m || !make) throw new Error(`not a command: ${text}`);
    return (make as (...a: unknown[]) => C.Cmd)(...(JSON.parse(`[${m[2]}]`) as unknown[]));
  });
}

/** Runs one given sequence once (a reproduction). */
export async function replaySequence(sys: ModelSystem, json: string): Promise<CheckResult> {
  try {
    await runSequence(sys, parseSequence(json));
    return { sequences: 1, failures: 0 };
  } catch (err) {
    return { sequences: 1, failures: 1, error: err instanceof Error ? err.message : String(err), replay: json };
  }
}
