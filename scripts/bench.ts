// `npm run bench`: every benchmark in turn, each in its own process (so peak
// memory and CPU are its own), after a header with the machine's facts. Each
// one prints its figures next to a baseline measured in the same run.
// Scripts, not tests: nothing here asserts a speed.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const benches = [
  ['Usage hot path over HTTP vs pgbench', 'bench-usage.ts'],
  ['Sign-ups and renewals at one instant vs trivial workflows', 'bench-renewals.ts'],
  ['Time-skipping lifecycles vs a trivial workflow', 'bench-time-skipping.ts'],
  ['Invoice PDF rendering vs a one-line PDF', 'bench-pdf.ts'],
  ['npm run simulate: 100 workspaces, 12 months, weekly usage', 'bench-simulate.ts'],
] as const;
const only = process.argv.slice(2);

const cpu = os.cpus()[0];
console.log(`# npm run bench, ${new Date().toISOString()}`);
console.log(`machine: ${os.availableParallelism()} CPUs (${cpu?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`);
let failed = 0;
for (const [title, file] of benches) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n## ${title} (scripts/${file})\n`);
  // The machine may be shared: the load beside every figure says how much.
  console.log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, file)], { stdio: 'inherit', env: process.env });
  console.log(`\n(${file}: ${((Date.now() - started) / 1000).toFixed(0)} s, exit ${r.status ?? r.signal})`);
  if (r.status !== 0) failed++;
}
if (failed) {
  console.error(`\n${failed} benchmark(s) failed their correctness checks or did not run`);
  process.exitCode = 1;
}
