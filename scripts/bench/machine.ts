// Facts about the machine a benchmark ran on, printed in its header.
import os from 'node:os';

export function machineFacts(): string[] {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return [
    `cpu: ${os.availableParallelism()} cores available (${cpus[0]?.model.trim() ?? 'unknown model'})`,
    `memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; load average at start: ${load}`,
    `node ${process.version} on ${os.platform()} ${os.release()} ${os.arch()}`,
  ];
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** A left-aligned first column and right-aligned others, with a header row. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
