// What "every workspace renewed exactly once" means in the fault drills, checked
// in Postgres, the Stripe sandbox and the workflows after the dust settled: each
// imported workspace (one pro term, then term 1) has one grant per term, one
// renewal invoice with a gapless number, one charge, and balances equal to the ledger.
import { expect } from 'vitest';
import type { Pool } from '../../src/db/pool';
import { auditBalances } from '../../src/ledger/audit';
import type { StripeSandbox } from '../../src/stripe-sandbox/server';
import type { BillingWorkflows } from '../../src/temporal/billing-client';

/** Renewal invoices of term 1 that are paid and rendered. */
export async function renewedCount(pool: Pool, ids: string[]): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM invoices i
     WHERE i.workspace_id = ANY($1) AND i.business_key LIKE 'renewal:%:1' AND i.status = 'paid' AND i.pdf_status = 'paid'`,
    [ids],
  );
  return rows[0]!.n;
}

/** `chargesBefore`: the sandbox's charge count before the renewals were due. */
export async function expectRenewedOnce(opts: {
  pool: Pool;
  sandbox: StripeSandbox;
  workflows: BillingWorkflows;
  ids: string[];
  chargesBefore: number;
}): Promise<void> {
  const { pool, sandbox, workflows, ids, chargesBefore } = opts;
  // Every term opened once: one grant per term, one expiry of term 0's leftovers.
  const ledger = await pool.query<{ workspace_id: string; kind: string; term_index: number; n: number; amount: number }>(
    `SELECT workspace_id, kind, term_index, count(*)::int AS n, sum(amount)::int8 AS amount FROM credit_ledger
     WHERE workspace_id = ANY($1) GROUP BY workspace_id, kind, term_index ORDER BY workspace_id, term_index, kind`,
    [ids],
  );
  for (const id of ids) {
    const rows = ledger.rows.filter((r) => r.workspace_id === id).map(({ kind, term_index, n, amount }) => ({ kind, term_index, n, amount }));
    expect(rows, id).toEqual([
      { kind: 'grant', term_index: 0, n: 1, amount: 100 },
      { kind: 'expiry', term_index: 0, n: 1, amount: -100 },
      { kind: 'grant', term_index: 1, n: 1, amount: 100 },
    ].sort((a, b) => a.term_index - b.term_index || a.kind.localeCompare(b.kind)));
  }
  const audit = await Promise.all(ids.map((id) => auditBalances(pool, id)));
  expect(audit.flat().filter((a) => !a.consistent)).toEqual([]);
  expect(audit.flat().map((a) => a.cache.plan)).toEqual(ids.map(() => 100));

  // Every invoice once: the sign-up one and the renewal, both paid.
  const invoices = await pool.query<{ id: string; workspace_id: string; business_key: string; number: string; status: string; total_cents: number }>(
    `SELECT id, workspace_id, business_key, number, status, total_cents FROM invoices WHERE workspace_id = ANY($1)`,
    [ids],
  );
  expect(invoices.rows).toHaveLength(2 * ids.length);
  for (const id of ids) {
    const keys = invoices.rows.filter((i) => i.workspace_id === id).map((i) => i.business_key).sort();
    expect(keys, id).toEqual([`renewal:${id}:1`, expect.stringMatching(new RegExp(`^signup:${id}:`))]);
  }
  expect(invoices.rows.every((i) => i.status === 'paid')).toBe(true);

  // Gapless numbers: in every year, the numbers issued so far (by every test) are exactly 1..n.
  const years = await pool.query<{ year: string; n: number; max: number; distinct: number }>(
    `SELECT substr(number, 5, 4) AS year, count(*)::int AS n, max(substr(number, 10)::int) AS max,
            count(DISTINCT number)::int AS distinct FROM invoices GROUP BY 1`,
  );
  for (const y of years.rows) expect({ year: y.year, count: y.n, distinct: y.distinct }).toEqual({ year: y.year, count: y.max, distinct: y.max });

  // Every charge sent once: one Stripe charge per renewal invoice, for its total, one payment attempt with one key.
  const renewals = invoices.rows.filter((i) => i.business_key.endsWith(':1'));
  const charges = sandbox.charges().slice(chargesBefore);
  expect(charges).toHaveLength(ids.length);
  for (const inv of renewals) {
    const mine = charges.filter((c) => c.metadata.invoice_id === inv.id);
    expect(mine.map((c) => [c.status, c.amount]), inv.number).toEqual([['succeeded', inv.total_cents]]);
  }
  const attempts = await pool.query<{ invoice_id: string; n: number; keys: number }>(
    `SELECT invoice_id, count(*)::int AS n, count(DISTINCT idempotency_key)::int AS keys FROM payment_attempts
     WHERE invoice_id = ANY($1::uuid[]) GROUP BY invoice_id`,
    [renewals.map((i) => i.id)],
  );
  expect(attempts.rows).toHaveLength(ids.length);
  expect(attempts.rows.every((a) => a.n === 1 && a.keys === 1)).toBe(true);

  // The workflows agree: term 1, active, nothing unpaid.
  for (const id of ids) {
    const s = await workflows.state(id);
    expect({ id, term: s.workspace.termIndex, status: s.workspace.status, unpaid: s.unpaidInvoices.length }).toEqual({ id, term: 1, status: 'active', unpaid: 0 });
  }
}
