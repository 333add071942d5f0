// A decision's refusal as the workflow reports it: a missing card names the
// endpoint that sets one; every other code keeps the decision's message.
import { describe, expect, it } from 'vitest';
import { FailureCodes } from '../../src/domain/failure-codes';
import { refusal } from '../../workflows/workflow-failures';

describe('refusal', () => {
  it('payment_method_required names PUT /v1/workspaces/{id}/payment-method', () => {
    const f = refusal('ws-1', FailureCodes.paymentMethodRequired, 'buying credits needs a payment method on file');
    expect(f).toMatchObject({ type: 'payment_method_required', nonRetryable: true });
    expect(f.message).toBe('buying credits needs a payment method on file: set one with PUT /v1/workspaces/ws-1/payment-method {"paymentMethod": "pm_..."}');
  });

  it('other codes keep the message as decided', () => {
    const f = refusal('ws-1', FailureCodes.invalidState, 'the subscription is cancelled');
    expect(f).toMatchObject({ type: FailureCodes.invalidState, message: 'the subscription is cancelled', nonRetryable: true });
  });
});
