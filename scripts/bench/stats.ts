// Throughput and latency percentiles of one benchmark run.
export interface RunStats {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function summarize(latenciesMs: number[], errors: number, seconds: number): RunStats {
  const sorted = Float64Array.from(latenciesMs).sort();
  const arr = Array.from(sorted);
  return { requests: arr.length, errors, seconds, perSecond: arr.length / seconds, p50Ms: percentile(arr, 50), p99Ms: percentile(arr, 99) };
}
