// The per-workspace balance row: the lock every debit and ledger operation
// takes, so that they apply one at a time per workspace.
import type { PoolClient } from '../db/pool';
import { LedgerError } from './errors';

export interface BalanceRow {
  termIndex: number;
  termEnd: Date;
  plan: number;
  purchased: number;
  overageUsed: number;
  unbilledShortfall: number;
}

const lockSql = `
  SELECT term_index, term_end, plan_balance, purchased_balance, overage_used, unbilled_shortfall
  FROM credit_balances WHERE workspace_id = $1 FOR UPDATE`;

/** Columns of a credit_balances row, as Postgres returns them. */
export interface BalanceColumns {
  term_index: number;
  term_end: Date;
  plan_balance: number;
  purchased_balance: number;
  overage_used: number;
  unbilled_shortfall: number;
}

const toBalance = (r: BalanceColumns): BalanceRow => ({
  termIndex: r.term_index,
  termEnd: r.term_end,
  plan: r.plan_balance,
  purchased: r.purchased_balance,
  overageUsed: r.overage_used,
  unbilledShortfall: r.unbilled_shortfall,
});

/**
 * Locks the workspace's balance row; null when no term was opened yet. In
 * that case the workspace row itself is locked instead, so concurrent first
 * term opens serialize too; throws when the workspace does not exist.
 */
export async function lockBalanceRow(client: PoolClient, workspaceId: string): Promise<BalanceRow | null> {
  const first = await client.query<BalanceColumns>(lockSql, [workspaceId]);
  if (first.rows[0]) return toBalance(first.rows[0]);
  const ws = await client.query(`SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE`, [workspaceId]);
  if (ws.rowCount === 0) throw new LedgerError('workspace_not_found', `workspace '${workspaceId}' does not exist`);
  const again = await client.query<BalanceColumns>(lockSql, [workspaceId]);
  return again.rows[0] ? toBalance(again.rows[0]) : null;
}

/** The locked row of an operation that needs an open term. */
export function requireOpenTerm(row: BalanceRow | null, workspaceId: string): BalanceRow {
  if (!row) throw new LedgerError('no_open_term', `workspace '${workspaceId}' has no open term yet (openTerm first)`);
  return row;
}

export interface LedgerEntry {
  kind: 'grant' | 'expiry' | 'purchase' | 'consumption' | 'overage' | 'shortfall' | 'adjustment';
  bucket: 'plan' | 'purchased' | 'overage' | 'shortfall';
  amount: number;
  termIndex: number;
  reason: string;
}

/** Appends entries (zero amounts are skipped: the ledger records movements only). */
export async function appendEntries(client: PoolClient, workspaceId: string, key: string, entries: LedgerEntry[]): Promise<void> {
  const moving = entries.filter((e) => e.amount !== 0);
  if (moving.length === 0) return;
  await client.query(
    `INSERT INTO credit_ledger (workspace_id, idempotency_key, kind, bucket, amount, term_index, reason)
     SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::int[], $6::int[], $7::text[])`,
    [
      workspaceId,
      key,
      moving.map((e) => e.kind),
      moving.map((e) => e.bucket),
      moving.map((e) => e.amount),
      moving.map((e) => e.termIndex),
      moving.map((e) => e.reason),
    ],
  );
}
