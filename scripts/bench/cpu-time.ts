// CPU time (user + system) spent by processes, from /proc (Linux): on a
// shared machine the wall-clock throughput of a run depends on what else
// runs, the CPU it cost much less. Used by bench-usage to compare the API
// path with pgbench as debits per CPU-second of everything involved.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  ppid: number;
  /** Own CPU ms. */
  own: number;
  /** CPU ms of its children that ended and were reaped. */
  reaped: number;
}

function stat(pid: number | 'self'): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
    const ms = (i: number) => (Number(f[i - 3]) * 1000) / ticksPerSecond;
    return { ppid: Number(f[1]), own: ms(14) + ms(15), reaped: ms(16) + ms(17) };
  } catch {
    return null; // no /proc, or the process ended
  }
}

/** False where /proc is not there (not Linux): the CPU figures are then left out. */
export const canMeasureCpu = () => stat('self') !== null;

/** CPU ms of a Postgres server so far: the postmaster, its live children and those already reaped. */
export function postgresCpuMs(postmasterPid: number): number {
  const root = stat(postmasterPid);
  if (!root) return Number.NaN;
  let total = root.own + root.reaped;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(Number(name));
    if (s?.ppid === postmasterPid) total += s.own;
  }
  return total;
}

/** CPU ms of one process so far (its own, not its children's). */
export const processCpuMs = (pid: number) => stat(pid)?.own ?? Number.NaN;

/** CPU ms of this process's children that ended (a pgbench run after spawnSync). */
export const reapedChildrenCpuMs = () => stat('self')?.reaped ?? Number.NaN;

/** The postmaster of the server behind a connection: the parent of its backend. */
export const parentOf = (pid: number) => stat(pid)?.ppid ?? Number.NaN;

/** This process's live children with their command names (`comm`, at most 15 characters). */
export function childProcesses(): Array<{ pid: number; name: string }> {
  const found: Array<{ pid: number; name: string }> = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || stat(Number(name))?.ppid !== process.pid) continue;
    try {
      found.push({ pid: Number(name), name: readFileSync(`/proc/${name}/comm`, 'utf8').trim() });
    } catch {
      // it ended meanwhile
    }
  }
  return found;
}
