// Workspace read-model rows for invoice and payment tests (the workflow's
// activities write them in production).
import type { Pool } from '../../src/db/pool';
import type { BillingAddress } from '../../src/domain/tax';

export interface TestWorkspace {
  id: string;
  name?: string;
  billingEmail?: string;
  billingAddress?: BillingAddress;
  plan?: string;
  planPriceCents?: number;
}

export async function insertWorkspace(pool: Pool, ws: TestWorkspace): Promise<string> {
  await pool.query(
    `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, plan_price_cents, anchor_at, term_start, term_end)
     VALUES ($1, $2, $3, $4, $5, $6, '2025-04-01T09:30:00Z', '2025-04-01T09:30:00Z', '2025-05-01T09:30:00Z')`,
    [
      ws.id,
      ws.name ?? `Acme ${ws.id}`,
      ws.billingEmail ?? `finance+${ws.id}@acme.example`,
      JSON.stringify(ws.billingAddress ?? { country: 'US', region: 'CA', city: 'San Francisco', postalCode: '94105', line1: '500 Howard St' }),
      ws.plan ?? 'pro',
      ws.planPriceCents ?? 2900,
    ],
  );
  return ws.id;
}

/** A unique id per test run, so reruns against one database never collide. */
export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
