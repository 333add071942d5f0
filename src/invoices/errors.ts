// Failures that retrying cannot fix: the activities turn them into
// non-retryable ApplicationFailures with `type` as the failure type.
export class PermanentInvoiceError extends Error {
  constructor(
    readonly type: 'InvalidInvoiceInput' | 'InvoiceKeyReused' | 'InvoiceNotFound' | 'WorkspaceNotFound' | 'InvoiceAlreadyPaid' | 'InvoiceVoid',
    message: string,
  ) {
    super(message);
    this.name = 'PermanentInvoiceError';
  }
}
