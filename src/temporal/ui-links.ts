// Links into the Temporal UI (2.54: the workflow list has no visible search
// box, but it honours a `?query=` visibility query in the address).
import { workflowIdFor } from '../../workflows/definitions';

const workflowsUrl = (uiUrl: string, namespace: string) => `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows`;

/** The workflow list filtered to one workspace (BillingWorkspaceId = "<id>"). */
export function workspaceSearchUrl(uiUrl: string, namespace: string, workspaceId: string): string {
  return `${workflowsUrl(uiUrl, namespace)}?query=${encodeURIComponent(`BillingWorkspaceId="${workspaceId}"`)}`;
}

/** The same link with `<id>` left for the reader to replace (the start banner). */
export function workspaceSearchTemplate(uiUrl: string, namespace: string): string {
  return workspaceSearchUrl(uiUrl, namespace, '\u0000').replace('%00', '<id>');
}

/** The workspace's workflow itself (its current run). */
export function workspaceWorkflowUrl(uiUrl: string, namespace: string, workspaceId: string): string {
  return `${workflowsUrl(uiUrl, namespace)}/${encodeURIComponent(workflowIdFor(workspaceId))}`;
}
