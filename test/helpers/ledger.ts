// Test fixtures for ledger tests: a workspace row as the workflow would
// create it, with term 0 opened through the real ledger operation.
import { randomUUID } from 'node:crypto';
import { afterAll, expect, inject } from 'vitest';
import { createPool, type Pool } from '../../src/db/pool';
import type { WorkspaceSnapshot } from '../../src/domain/workspace';
import { auditBalances } from '../../src/ledger/audit';
import { grantPurchasedCredits, openTerm } from '../../src/ledger/operations';

/** A pool on the run's test database, closed after the file's tests. */
export function testPool(size: number): Pool {
  const pool = createPool(inject('databaseUrl'), size);
  afterAll(() => pool.end());
  return pool;
}

export interface TestWorkspaceOptions {
  id?: string;
  plan?: string;
  planCredits?: number;
  planPriceCents?: number;
  purchased?: number;
  onDemand?: { enabled: boolean; monthlyLimit: number };
  status?: 'active' | 'past_due' | 'cancelled' | 'deleted';
  disabledFeatures?: string[];
  lowBalanceThreshold?: number | null;
  termStart?: number;
  termEnd?: number;
}

export const TERM_START = Date.UTC(2025, 0, 31);
export const TERM_END = Date.UTC(2025, 1, 28);

export const uniqueId = (prefix = 'ws') => `${prefix}-${randomUUID().slice(0, 13)}`;

/** Inserts a workspace and opens its term 0 (plus purchased credits when asked). */
export async function createTestWorkspace(pool: Pool, opts: TestWorkspaceOptions = {}): Promise<string> {
  const id = opts.id ?? uniqueId();
  const termStart = opts.termStart ?? TERM_START;
  const termEnd = opts.termEnd ?? TERM_END;
  const plan = opts.plan ?? 'free';
  await pool.query(
    `INSERT INTO workspaces (id, name, billing_email, billing_address, plan, status, anchor_at, term_start, term_end,
       on_demand_enabled, on_demand_monthly_limit, disabled_features, low_balance_threshold)
     VALUES ($1, 'Test workspace', 'billing@example.com', '{"country":"US","region":"CA"}', $2, $3, $4, $4, $5, $6, $7, $8, $9)`,
    [
      id,
      plan,
      opts.status ?? 'active',
      new Date(termStart),
      new Date(termEnd),
      opts.onDemand?.enabled ?? false,
      opts.onDemand?.monthlyLimit ?? 0,
      opts.disabledFeatures ?? [],
      opts.lowBalanceThreshold ?? null,
    ],
  );
  await openTerm(pool, {
    workspaceId: id,
    termIndex: 0,
    termStart,
    termEnd,
    plan,
    planCredits: opts.planCredits ?? 25,
    planPriceCents: opts.planPriceCents ?? 0,
  });
  if (opts.purchased) await grantPurchasedCredits(pool, { workspaceId: id, credits: opts.purchased, key: `test-purchase:${id}` });
  return id;
}

/** Asserts the balance cache equals the ledger sums for the workspace. */
export async function expectLedgerConsistent(pool: Pool, workspaceId: string): Promise<void> {
  const [audit] = await auditBalances(pool, workspaceId);
  expect(audit, `no balance row for ${workspaceId}`).toBeDefined();
  expect(audit!.cache).toEqual(audit!.ledger);
}

export async function countRows(pool: Pool, workspaceId: string) {
  const { rows } = await pool.query<{ ledger: number; usage: number; outbox: number }>(
    `SELECT (SELECT count(*) FROM credit_ledger WHERE workspace_id = $1) AS ledger,
            (SELECT count(*) FROM usage_events WHERE workspace_id = $1) AS usage,
            (SELECT count(*) FROM outbox_events WHERE workspace_id = $1) AS outbox`,
    [workspaceId],
  );
  return rows[0]!;
}

/** A read-model snapshot as the workflow syncs it (term 0 of the test term), with changes. */
export function workspaceSnapshot<S extends Partial<WorkspaceSnapshot>>(id: string, change: S): WorkspaceSnapshot & S {
  return {
    id,
    name: 'Test workspace',
    billingEmail: 'billing@example.com',
    billingAddress: { country: 'US', region: 'CA' },
    plan: 'free',
    planCredits: 25,
    planPriceCents: 0,
    status: 'active',
    anchorAt: TERM_START,
    termIndex: 0,
    termStart: TERM_START,
    termEnd: TERM_END,
    scheduledPlan: null,
    onDemand: { enabled: false, monthlyLimit: 0 },
    disabledFeatures: [],
    cancelAt: null,
    retentionUntil: null,
    ...change,
  };
}
