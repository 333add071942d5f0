// The statements of the check-and-debit path, shared with the benchmark
// (scripts/bench-usage.ts runs the same SQL through pgbench). Both call the
// SQL function of migration 0015 (usage_debit), which decides and writes a
// debit under the balance row's lock in one round trip.

/** The columns both statements answer, one row per debit. */
export interface DebitRow {
  /** 'debited' | 'replayed' | 'idempotency_conflict' | a refusal's failure code. */
  outcome: string;
  /** The charge: this debit's, or the first answer to the key. */
  response: unknown;
  plan_balance: number | null;
  purchased_balance: number | null;
  overage_used: number | null;
  on_demand_enabled: boolean | null;
  on_demand_monthly_limit: number | null;
  term_end: Date | null;
}

/**
 * One debit. $1 workspace, $2 idempotency key, $3 request hash, $4 member,
 * $5 action, $6 feature, $7 tokens, $8 cost in credits, $9 already performed,
 * $10 the default low-balance percentage.
 */
export const debitOne = `SELECT * FROM usage_debit($1, $2, $3, $4, $5, $6, $7::int, $8::int, $9::boolean, $10::numeric)`;

/** Several debits in one statement and transaction, in array order: the same parameters as arrays. */
export const debitMany = `SELECT * FROM usage_debit_many($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
  $7::int[], $8::int[], $9::boolean[], $10::numeric[])`;

/**
 * A non-billable request's one read. $1 workspace, $2 idempotency key: the
 * workspace's status and balances, and whether a (charged) request already
 * used the key (a non-billable one writes nothing, so it never does).
 */
export const nonBillableLookup = `
SELECT w.status, b.plan_balance AS plan, b.purchased_balance AS purchased,
       EXISTS (SELECT 1 FROM usage_events e WHERE e.workspace_id = w.id AND e.idempotency_key = $2) AS key_used
FROM workspaces w LEFT JOIN credit_balances b ON b.workspace_id = w.id WHERE w.id = $1`;
