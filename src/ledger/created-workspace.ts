// A sign-up that has not created its workspace (still signing up, or refused)
// has a read-model row, because its Stripe customer and void invoices refer to
// it, but it is no workspace to the API: reads answer 404 for it.
import { NOT_CREATED_STATUSES, type WorkspaceStatus } from '../domain/workspace';

/** SQL condition on the `status` column of `workspaces`: the workspace exists for the API. */
export const IS_CREATED_WORKSPACE = `status NOT IN (${NOT_CREATED_STATUSES.map((s) => `'${s}'`).join(', ')})`;

export const isCreatedWorkspace = (status: string): boolean => !NOT_CREATED_STATUSES.includes(status as WorkspaceStatus);
