// Which dates a term of the workspace's current subscription covers.
import { termAt, type Term } from '../../src/domain/terms';
import type { WorkspaceState } from '../state';

/** A term of the current subscription by its workspace-wide index (terms count from the anchor). */
export function termOf(s: Pick<WorkspaceState, 'anchor' | 'anchorTermIndex'>, index: number): Term {
  const t = termAt(s.anchor, index - s.anchorTermIndex);
  return { index, start: t.start, end: t.end };
}

export const currentTerm = (s: Pick<WorkspaceState, 'anchor' | 'anchorTermIndex' | 'termIndex'>): Term => termOf(s, s.termIndex);
