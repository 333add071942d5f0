// Usage reads (rule 14: they never need credits and work for cancelled
// workspaces). Credits here are the credits charged (plan + purchased +
// overage) per billable request.
import type { Pool } from '../db/pool';
import { IS_CREATED_WORKSPACE } from './created-workspace';

export type UsageGroupBy = 'member' | 'day';

export interface UsageTotals {
  requests: number;
  credits: number;
  tokens: number;
}

export interface UsageSummary {
  workspaceId: string;
  groupBy: UsageGroupBy;
  from: string;
  to: string;
  totals: UsageTotals;
  groups: Array<UsageTotals & ({ memberId: string } | { day: string })>;
}

const groupKey: Record<UsageGroupBy, string> = {
  member: 'member_id',
  // UTC calendar day
  day: `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

/** Usage in [from, to) grouped by member or UTC day; the current term by default. Null for an unknown workspace. */
export async function usageSummary(
  pool: Pool,
  q: { workspaceId: string; groupBy: UsageGroupBy; from?: Date; to?: Date },
): Promise<UsageSummary | null> {
  const ws = await pool.query<{ term_start: Date; term_end: Date }>(`SELECT term_start, term_end FROM workspaces WHERE id = $1 AND ${IS_CREATED_WORKSPACE}`, [q.workspaceId]);
  if (!ws.rows[0]) return null;
  const from = q.from ?? ws.rows[0].term_start;
  const to = q.to ?? ws.rows[0].term_end;
  const { rows } = await pool.query<{ key: string; requests: number; credits: number; tokens: number }>(
    `SELECT ${groupKey[q.groupBy]} AS key, count(*)::int8 AS requests, sum(credits)::int8 AS credits,
            coalesce(sum(tokens), 0)::int8 AS tokens
     FROM usage_events WHERE workspace_id = $1 AND at >= $2 AND at < $3
     GROUP BY 1 ORDER BY 1`,
    [q.workspaceId, from, to],
  );
  const totals = { requests: 0, credits: 0, tokens: 0 };
  for (const r of rows) {
    totals.requests += r.requests;
    totals.credits += r.credits;
    totals.tokens += r.tokens;
  }
  return {
    workspaceId: q.workspaceId,
    groupBy: q.groupBy,
    from: from.toISOString(),
    to: to.toISOString(),
    totals,
    groups: rows.map(({ key, ...t }) => (q.groupBy === 'member' ? { memberId: key, ...t } : { day: key, ...t })),
  };
}

export interface UsageHistoryRow {
  at: string;
  memberId: string;
  action: string;
  feature: string;
  tokens: number | null;
  credits: number;
}

/** Billable usage, newest first, keyset-paginated: `cursor` is the previous page's nextCursor. */
export async function usageHistory(
  pool: Pool,
  q: { workspaceId: string; limit: number; cursor?: string },
): Promise<{ data: UsageHistoryRow[]; nextCursor: string | null } | null> {
  const ws = await pool.query(`SELECT 1 FROM workspaces WHERE id = $1 AND ${IS_CREATED_WORKSPACE}`, [q.workspaceId]);
  if (ws.rowCount === 0) return null;
  const { rows } = await pool.query<{ id: number; at: Date; member_id: string; action: string; feature: string; tokens: number | null; credits: number }>(
    `SELECT id, at, member_id, action, feature, tokens, credits FROM usage_events
     WHERE workspace_id = $1 AND ($2::int8 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
    [q.workspaceId, q.cursor ?? null, q.limit + 1],
  );
  const page = rows.slice(0, q.limit);
  return {
    data: page.map((r) => ({ at: r.at.toISOString(), memberId: r.member_id, action: r.action, feature: r.feature, tokens: r.tokens, credits: r.credits })),
    nextCursor: rows.length > q.limit ? String(page[page.length - 1]!.id) : null,
  };
}
