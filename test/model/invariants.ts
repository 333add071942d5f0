// The invariants of issue 13, checked after every command: SQL over the
// ledger, balances, invoices and payment tables, and the Stripe sandbox's
// PaymentIntents. Each returns what it found broken (empty: all hold).
import type { World } from './check';
import type { ModelSystem } from './system';

/** The longest pause of a blocked step between tries (24 h), and an hour of margin. */
const BLOCKED_AFTER_FAULT_MS = 25 * 3_600_000;

export async function invariantViolations(sys: ModelSystem, w: World): Promise<string[]> {
  const out: string[] = [];
  const q = async <T>(sql: string, params: unknown[] = []) => (await sys.h.pool.query(sql, params)).rows as T[];
  const ws = w.ws;

  // Balance cache = ledger sum; buckets never negative; overage as the model counted it.
  const [b] = await q<{ plan: number; purchased: number; overage: number; l_plan: number; l_purchased: number; l_overage: number }>(
    `SELECT b.plan_balance AS plan, b.purchased_balance AS purchased, b.overage_used AS overage,
       coalesce(sum(l.amount) FILTER (WHERE l.bucket = 'plan'), 0)::int AS l_plan,
       coalesce(sum(l.amount) FILTER (WHERE l.bucket = 'purchased'), 0)::int AS l_purchased,
       coalesce(-sum(l.amount) FILTER (WHERE l.bucket = 'overage' AND l.term_index = b.term_index), 0)::int AS l_overage
     FROM credit_balances b LEFT JOIN credit_ledger l ON l.workspace_id = b.workspace_id
     WHERE b.workspace_id = $1 GROUP BY b.workspace_id, b.plan_balance, b.purchased_balance, b.overage_used`,
    [ws],
  );
  if (b) {
    if (b.plan !== b.l_plan || b.purchased !== b.l_purchased || b.overage !== b.l_overage) out.push(`balance cache ${JSON.stringify(b)} differs from the ledger`);
    if (b.plan < 0 || b.purchased < 0) out.push(`negative bucket: ${JSON.stringify(b)}`);
    if (w.m.phase === 'subscribed' && b.overage !== w.m.overageUsed) out.push(`overage used ${b.overage}, the model counted ${w.m.overageUsed}`);
  }

  // Every succeeded PaymentIntent pays exactly one paid invoice of this workspace (or was refunded); charges as the model made them.
  const intents = sys.h.sandbox.paymentIntents().filter((p) => p.metadata.workspace_id === ws && p.status === 'succeeded');
  const invoices = await q<{ id: string; status: string; payment_intent_id: string | null; kind: string }>(
    `SELECT id, status, payment_intent_id, kind FROM invoices WHERE workspace_id = $1`,
    [ws],
  );
  // Refunded by Stripe's own records (the system's refund table also notes refunds Stripe refused).
  const refundedCents = new Map<string, number>();
  for (const r of sys.h.sandbox.refunds()) refundedCents.set(r.payment_intent, (refundedCents.get(r.payment_intent) ?? 0) + r.amount);
  const kept = intents.filter((p) => (refundedCents.get(p.id) ?? 0) < p.amount);
  // Money with no owner escapes every per-workspace check: every succeeded PaymentIntent names its workspace and invoice.
  for (const p of sys.h.sandbox.paymentIntents()) {
    if (p.status === 'succeeded' && (!p.metadata.workspace_id || !p.metadata.invoice_id)) out.push(`succeeded ${p.id} (${p.amount} cents) names no workspace or invoice: ${JSON.stringify(p.metadata)}`);
  }
  for (const pi of kept) {
    const inv = invoices.find((i) => i.id === pi.metadata.invoice_id);
    if (!inv || inv.status !== 'paid' || inv.payment_intent_id !== pi.id) out.push(`succeeded ${pi.id} (${pi.amount} cents) does not pay its invoice: ${JSON.stringify(inv)}`);
  }
  const perInvoice = new Map<string, number>();
  for (const pi of kept) perInvoice.set(pi.metadata.invoice_id!, (perInvoice.get(pi.metadata.invoice_id!) ?? 0) + 1);
  for (const [inv, n] of perInvoice) if (n > 1) out.push(`invoice ${inv} paid by ${n} PaymentIntents`);
  const cents = kept.reduce((s, p) => s + p.amount, 0);
  if (kept.length !== w.m.charges || cents !== w.m.chargedCents) {
    out.push(`Stripe kept ${kept.length} charges for ${cents} cents, the model made ${w.m.charges} for ${w.m.chargedCents}`);
  }

  // Effects applied once: purchased credits granted = paid purchase invoices (until the purge deletes the ledger).
  if (w.m.phase !== 'deleted') {
    const [p] = await q<{ granted: number; paid: number }>(
      `SELECT (SELECT coalesce(sum(amount), 0)::int FROM credit_ledger WHERE workspace_id = $1 AND kind = 'purchase') AS granted,
              (SELECT coalesce(sum(l.quantity), 0)::int FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
                WHERE i.workspace_id = $1 AND i.kind = 'credit_purchase' AND i.status = 'paid' AND l.kind = 'credit_purchase') AS paid`,
      [ws],
    );
    if (p && p.granted !== p.paid) out.push(`purchased credits granted ${p.granted}, paid for ${p.paid}`);
  }

  // The effect of a term or an upgrade applied once: one allocation per term, one full allocation per upgrade sold (until the purge).
  if (w.m.phase !== 'deleted') {
    const [g] = await q<{ twice: number[]; upgrades: number; sold: number }>(
      `SELECT (SELECT coalesce(array_agg(term_index), '{}') FROM (SELECT term_index FROM credit_ledger
                WHERE workspace_id = $1 AND kind = 'grant' AND reason LIKE 'term % allocation %' GROUP BY term_index HAVING count(*) > 1) t) AS twice,
              (SELECT count(*)::int FROM credit_ledger WHERE workspace_id = $1 AND kind = 'grant' AND reason LIKE 'plan change to %') AS upgrades,
              (SELECT count(*)::int FROM invoices WHERE workspace_id = $1 AND kind = 'upgrade' AND status <> 'void') AS sold`,
      [ws],
    );
    if (g && g.twice.length > 0) out.push(`terms ${g.twice.join(', ')} allocated more than once`);
    if (g && g.upgrades !== g.sold) out.push(`${g.upgrades} upgrade allocations for ${g.sold} upgrade invoices not void`);
  }

  // Every consumed overage credit billed exactly once.
  const [o] = await q<{ billed: number }>(
    `SELECT coalesce(sum(l.quantity), 0)::int AS billed FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
     WHERE i.workspace_id = $1 AND i.status <> 'void' AND l.kind = 'overage'`,
    [ws],
  );
  if ((o?.billed ?? 0) !== w.m.overageBilled) out.push(`overage billed ${o?.billed}, the model billed ${w.m.overageBilled}`);

  // Invoice numbers gapless per year (all workspaces).
  const gaps = await q<{ year: string; n: number; max: number }>(
    `SELECT substr(number, 5, 4) AS year, count(*)::int AS n, max(substr(number, 10)::int) AS max FROM invoices GROUP BY 1`,
  );
  for (const g of gaps) if (g.n !== g.max) out.push(`invoice numbers of ${g.year} have gaps: ${g.n} invoices, highest ${g.max}`);

  // No workflow blocked unless a fault window is open, or closed less than 25 hours ago.
  const wf = await sys.workflowActivity(ws);
  // A step blocked by the faults goes through at its next try, at most a day later (the longest pause between tries).
  const now = await sys.now();
  if (w.faultWindow && w.faultClosedAt === null && sys.h.sandbox.pendingFaults() === 0) w.faultClosedAt = now;
  const faultRecent = w.faultWindow && (w.faultClosedAt === null || now <= w.faultClosedAt + BLOCKED_AFTER_FAULT_MS);
  if (wf?.blocked && !faultRecent) {
    out.push(w.faultWindow ? 'the workflow still shows a blocked step more than 25 hours after the Stripe faults ended' : 'the workflow shows a blocked step without any fault');
  }
  return out;
}
