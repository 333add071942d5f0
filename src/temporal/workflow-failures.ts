// What a failed call to a workspace's workflow means, as a coded failure:
// the workflow's own refusals keep their code (ApplicationFailure.type), a
// workflow that does not exist or has ended is told by the SDK's error types,
// never by the text of a message. Anything else is left as it is (a 500).
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CodedError, isFailureCode } from '../domain/failure-codes';

/**
 * The failure type the server gives an update that was accepted when its
 * workflow then completed (Temporal's UpdateRegistry; no SDK constant exists).
 */
export const ACCEPTED_UPDATE_COMPLETED_WORKFLOW = 'AcceptedUpdateCompletedWorkflow';

export function workflowFailureOf(err: unknown, workspaceId: string): unknown {
  // No run to talk to: never started, or ended (a purged workspace, a refused
  // sign-up) when the update or signal arrived. The server answers NOT_FOUND
  // for both, which the SDK raises as this type.
  if (err instanceof WorkflowNotFoundError) return new CodedError('not_found', `workspace '${workspaceId}' was not found`);
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const { type } = err.cause;
    if (isFailureCode(type)) {
      const details = (err.cause.details?.[0] ?? {}) as Record<string, unknown>;
      return new CodedError(type, err.cause.message, details);
    }
    // The update was accepted, then the run ended before answering it (the purge completed the workflow).
    if (type === ACCEPTED_UPDATE_COMPLETED_WORKFLOW) return new CodedError('not_found', `workspace '${workspaceId}' was deleted`);
  }
  return err;
}
