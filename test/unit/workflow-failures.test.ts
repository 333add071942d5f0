// How a failed call to the workspace workflow becomes a coded failure: by the
// SDK's error types and the failure's type, never by the text of a message.
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/domain/failure-codes';
import { ACCEPTED_UPDATE_COMPLETED_WORKFLOW, workflowFailureOf } from '../../src/temporal/workflow-failures';

const updateFailed = (type: string, message: string, details?: unknown[]) =>
  new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type, message, nonRetryable: true, details }));

describe('workflowFailureOf', () => {
  it.each(['workflow execution already completed', 'Completed workflow', 'workflow not found for ID: x', 'anything at all'])(
    'a workflow the server does not find (never started or ended) is not_found, whatever the message: %s',
    (message) => {
      const err = workflowFailureOf(new WorkflowNotFoundError(message, 'workspace-billing/ws-1', undefined), 'ws-1');
      expect(err).toBeInstanceOf(CodedError);
      expect(err).toMatchObject({ code: 'not_found', message: "workspace 'ws-1' was not found" });
    },
  );

  it.each(['Workflow Update failed because the Workflow completed before the Update completed.', 'no text we know'])(
    'an update accepted by a run that then ended is not_found (deleted), told by the failure type: %s',
    (message) => {
      const err = workflowFailureOf(updateFailed(ACCEPTED_UPDATE_COMPLETED_WORKFLOW, message), 'ws-1');
      expect(err).toMatchObject({ code: 'not_found', message: "workspace 'ws-1' was deleted" });
    },
  );

  it('an error that only says "already completed" is not taken for an ended workflow', () => {
    const raw = new Error('workflow execution already completed');
    expect(workflowFailureOf(raw, 'ws-1')).toBe(raw);
    const update = updateFailed('SomethingElse', 'workflow execution already completed');
    expect(workflowFailureOf(update, 'ws-1')).toBe(update);
  });

  it("the workflow's refusals keep their code, message and details", () => {
    const err = workflowFailureOf(updateFailed('payment_required', 'pay first', [{ amountDueCents: 100, invoiceIds: ['i'] }]), 'ws-1');
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: 'payment_required', message: 'pay first', details: { amountDueCents: 100, invoiceIds: ['i'] } });
  });

  it('a failure type outside the taxonomy is left as it is (answered 500)', () => {
    const update = updateFailed('PaymentMethodRejected', 'activity type, not a refusal code');
    expect(workflowFailureOf(update, 'ws-1')).toBe(update);
  });
});
