// Cancellation, resuming and the purge, decided without Temporal (rule 12).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancelSteps, purgeSteps, withdrawCancellationSteps } from '../../workflows/decisions/cancellation';
import type { Step } from '../../workflows/decisions/steps';
import { currentTerm } from '../../workflows/decisions/terms';
import type { Phase, WorkspaceState } from '../../workflows/state';
import { subscribedState, T0 } from '../helpers/decision-state';

/** The state after the plan's update-state steps (what the executor does to the state). */
const applied = (s: WorkspaceState, steps: Step[]): WorkspaceState =>
  steps.reduce((acc, st) => (st.kind === 'update-state' ? { ...acc, ...st.patch } : acc), s);

describe('cancellation decisions', () => {
  it('cancel takes effect at the end of the current term, and is written to the read model', () => {
    const s = subscribedState();
    const end = currentTerm(s).end;
    expect(cancelSteps(s)).toEqual([
      { kind: 'update-state', patch: { cancelAt: end } },
      { kind: 'sync', summary: `Cancellation requested: ends ${new Date(end).toISOString()}` },
    ]);
  });

  it('resuming before the term end withdraws it; nothing to withdraw, nothing done', () => {
    expect(withdrawCancellationSteps(subscribedState({ cancelAt: T0 }))).toEqual([
      { kind: 'update-state', patch: { cancelAt: null } },
      { kind: 'sync', summary: 'Cancellation withdrawn' },
    ]);
    expect(withdrawCancellationSteps(subscribedState())).toEqual([]);
  });

  it('the purge at the end of retention deletes the workspace, keyed by the term; outside retention it does nothing', () => {
    expect(purgeSteps(subscribedState({ phase: 'retention', termIndex: 5 }))).toEqual([
      { kind: 'purge-usage-data', key: 'purge:ws-1:5' },
      { kind: 'update-state', patch: { status: 'deleted', phase: 'deleted' } },
      { kind: 'sync', summary: 'Mark workspace deleted' },
    ]);
    expect(purgeSteps(subscribedState())).toEqual([]);
  });
});

describe('cancellation decisions (property)', () => {
  const phases: Phase[] = ['setup', 'subscribed', 'retention', 'deleted', 'setup_failed'];
  const ops = fc.array(fc.constantFrom('cancel' as const, 'resume' as const), { maxLength: 12 });

  it('repeated requests are idempotent: cancelAt is the term end after a cancel and null after a resume; no other phase is cancelled or changed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...phases), ops, (phase, sequence) => {
        let s = subscribedState({ phase });
        const end = currentTerm(s).end;
        for (const op of sequence) {
          s = applied(s, op === 'cancel' ? cancelSteps(s) : withdrawCancellationSteps(s));
          expect(s.cancelAt).toBe(phase === 'subscribed' && op === 'cancel' ? end : null);
        }
        expect(s.phase).toBe(phase);
        expect(purgeSteps(s).length > 0).toBe(phase === 'retention');
      }),
    );
  });
});
