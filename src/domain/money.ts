// Integer money arithmetic (cents). No floats ever touch an amount.

/** Throws unless `n` is a non-negative safe integer (an amount, a count). */
export function assertNonNegativeInt(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}

/**
 * numerator / denominator rounded half-up (0.5 goes up), in integers.
 * Both must be non-negative; the product feeding `numerator` must stay a safe integer.
 */
export function divideRoundHalfUp(numerator: number, denominator: number): number {
  assertNonNegativeInt(numerator, 'numerator');
  if (!Number.isSafeInteger(denominator) || denominator <= 0) throw new RangeError(`denominator must be a positive integer, got ${denominator}`);
  const quotient = Math.floor(numerator / denominator);
  const remainder = numerator - quotient * denominator;
  return remainder * 2 >= denominator ? quotient + 1 : quotient;
}

/** `a * b`, refusing results outside the safe integer range. */
export function safeMultiply(a: number, b: number): number {
  const product = a * b;
  if (!Number.isSafeInteger(product)) throw new RangeError(`${a} * ${b} exceeds the safe integer range`);
  return product;
}

/** 123456 -> "$1,234.56" (USD). */
export function formatUsd(cents: number): string {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents must be an integer, got ${cents}`);
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const dollars = groupThousands(Math.floor(abs / 100));
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, '0')}`;
}

/** 1234567 -> "1,234,567" (no Intl: identical output on every runtime). */
export function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 725 basis points -> "7.25%", 1900 -> "19%". */
export function formatRateBps(bps: number): string {
  assertNonNegativeInt(bps, 'rate');
  const whole = Math.floor(bps / 100);
  const frac = String(bps % 100).padStart(2, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}%` : `${whole}%`;
}
