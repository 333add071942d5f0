// Exponential backoff for webhook deliveries: base, 2x base, 4x base, ...
// capped, so a receiver that is down for a day gets hourly retries, not a flood.
export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const defaultBackoff: Backoff = { baseMs: 5_000, maxMs: 3_600_000 };

/** Delay before the next try after `attempts` failed ones (attempts >= 1). */
export function retryDelayMs(attempts: number, { baseMs, maxMs }: Backoff = defaultBackoff): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 30));
  return Math.min(maxMs, baseMs * 2 ** exponent);
}
