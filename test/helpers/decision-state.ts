// Workflow states for the pure decision tests: a subscribed workspace on a
// given plan, with anything overridden.
import { DAY_MS } from '../../src/domain/workspace';
import type { UnpaidInvoice } from '../../workflows/definitions';
import { initialState, type WorkspaceState } from '../../workflows/state';

export const T0 = Date.UTC(2026, 0, 10);

export function subscribedState(over: Partial<WorkspaceState> = {}): WorkspaceState {
  const request = { id: 'ws-1', name: 'Acme', billingEmail: 'billing@acme.test', plan: 'pro' } as WorkspaceState['request'];
  return { ...initialState(request, T0), phase: 'subscribed', planCredits: 100, planPriceCents: 2900, paymentMethod: 'pm_card', ...over };
}

export const unpaidInvoice = (attempts: number, firstFailedAt = T0 + DAY_MS, id = `inv-${attempts}`): UnpaidInvoice => ({
  invoiceId: id,
  kind: 'renewal',
  attempts,
  extraAttempts: 0,
  firstFailedAt,
  lastReason: 'card_declined',
  totalCents: 2900,
});
