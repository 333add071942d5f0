// Refusals of a ledger operation that no retry can fix (the Temporal
// activities turn them into non-retryable failures).
export type LedgerErrorCode = 'workspace_not_found' | 'no_open_term' | 'term_mismatch' | 'invalid_input' | 'key_conflict';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}
