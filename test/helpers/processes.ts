// Processes as /proc shows them (Linux), for tests that check nothing is left behind.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** R, S, D, Z (zombie: exited, not reaped yet), ... */
  state: string;
  /** The command line, arguments joined by spaces. */
  cmd: string;
}

export function processInfo(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: the fields follow the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, ppid: Number(ppid), state: state!, cmd };
  } catch {
    return null;
  }
}

/** `root` and every process below it. */
export function processTree(root: number): ProcessInfo[] {
  const all = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => processInfo(Number(e)))
    .filter((p): p is ProcessInfo => p !== null);
  const tree: ProcessInfo[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const p = all.find((x) => x.pid === pid);
    if (p) tree.push(p);
    for (const child of all.filter((x) => x.ppid === pid)) queue.push(child.pid);
  }
  return tree;
}

/** Exited (a zombie has exited too: it only waits for its parent to read its status). */
export function gone(pid: number): boolean {
  const p = processInfo(pid);
  return p === null || p.state === 'Z' || p.state === 'X';
}
