// States handed through continue-as-new by older builds are brought to the
// current shape with defaults the workflow reads exactly like the absent fields.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { initialState, migrateState, STATE_VERSION, type WorkspaceState } from '../../workflows/state';

const request = { id: 'ws-1', name: 'Acme', billingEmail: 'billing@acme.test', plan: 'pro' } as WorkspaceState['request'];
const T0 = Date.UTC(2026, 0, 10);

/** A state as a build before stateVersion wrote it: the optional fields absent. */
function olderState(): WorkspaceState {
  const s: Partial<WorkspaceState> = { ...initialState(request, T0) };
  for (const key of ['stateVersion', 'collectUnpaid', 'refusals', 'sales', 'syncVersion', 'glance'] as const) delete s[key];
  s.unpaid = [{ invoiceId: 'inv-1', kind: 'renewal', attempts: 2, firstFailedAt: T0, lastReason: 'card_declined' }];
  return s as WorkspaceState;
}

describe('migrateState', () => {
  it('fills the fields older builds did not write, with the values their absence meant', () => {
    const migrated = migrateState(olderState());
    expect(migrated).toMatchObject({ stateVersion: STATE_VERSION, collectUnpaid: false, refusals: [], sales: 0, syncVersion: 0, glance: {} });
    expect(migrated.unpaid[0]).toMatchObject({ attempts: 2, extraAttempts: 0 });
    // totalCents stays unknown: the glance says "amount on the invoice" rather than a wrong 0.
    expect(migrated.unpaid[0]).not.toHaveProperty('totalCents');
  });

  it('leaves an absent low-balance threshold absent: the read model keeps the value it has', () => {
    expect(migrateState(olderState())).not.toHaveProperty('lowBalanceThreshold');
  });

  it('keeps what an older state carries', () => {
    const older = { ...olderState(), sales: 7, refusals: [['u-1', { type: 'conflict', message: 'no', details: [] }]] } as WorkspaceState;
    expect(migrateState(older)).toMatchObject({ sales: 7, refusals: older.refusals });
  });

  it('a state written by a newer build is refused with a plain Error (the workflow task is retried until a newer worker takes it), not a workflow failure', () => {
    const newer = { ...initialState(request, T0), stateVersion: STATE_VERSION + 1 };
    let thrown: unknown;
    try {
      migrateState(newer);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(ApplicationFailure);
    expect((thrown as Error).message).toMatch(`state version ${STATE_VERSION + 1} is newer than this build's ${STATE_VERSION}`);
  });

  it('a current state passes unchanged, and a new workspace starts current', () => {
    const current = initialState(request, T0);
    expect(current.stateVersion).toBe(STATE_VERSION);
    expect(migrateState(current)).toBe(current);
  });
});
