// The renewal's ledger work as one activity and one transaction
// (src/ledger/renewal.ts): the term opened, the ending term's overage billed
// with the new term's fee, the read model written; a retry answers the same
// and changes nothing; a refusal leaves nothing half done.
import { describe, expect, it } from 'vitest';
import { createRenewalActivities } from '../../activities/renewal';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPricing } from '../../src/config/pricing';
import { finalizeInvoice } from '../../src/invoices/finalize';
import { invoicesAwaitingDelivery } from '../../src/invoices/store';
import { overageUsed } from '../../src/ledger/balances';
import { checkAndDebit } from '../../src/ledger/check-and-debit';
import type { RenewTermInput } from '../../src/ledger/renewal';
import { nonRetryable, runActivity } from '../helpers/activities';
import { createTestWorkspace, expectLedgerConsistent, testPool, workspaceSnapshot } from '../helpers/ledger';

// Invoice numbers count per year and test files share one database: years of their own here.
const pricing = loadPricing();
const pool = testPool(4);
const acts = createRenewalActivities({ pool, pricing, seller: { name: 'Seller Inc.', address: ['1 Main St'] } });
const DAY = 86_400_000;

async function renewingWorkspace(year: number) {
  const termStart = Date.UTC(year, 0, 10);
  const termEnd = Date.UTC(year, 1, 10);
  const id = await createTestWorkspace(pool, { plan: 'pro', planCredits: 0, onDemand: { enabled: true, monthlyLimit: 1000 }, termStart, termEnd });
  const input: RenewTermInput = {
    term: { workspaceId: id, termIndex: 1, termStart: termEnd, termEnd: termEnd + 28 * DAY, plan: 'pro', planCredits: 100, planPriceCents: 2900 },
    previous: { index: 0, start: termStart, end: termEnd },
    invoice: { key: `renewal:${id}:1`, issuedAt: termEnd, planName: 'Pro' },
    readModel: { ...workspaceSnapshot(id, { plan: 'pro', planCredits: 100, planPriceCents: 2900, termIndex: 1, termStart: termEnd, termEnd: termEnd + 28 * DAY }), syncVersion: 7 },
  };
  return { id, input };
}

const rowsOf = async (id: string) => {
  const { rows } = await pool.query<{ invoices: number; grants: number; term_index: number; sync_version: number; rm_term: number }>(
    `SELECT (SELECT count(*)::int FROM invoices WHERE workspace_id = $1) AS invoices,
            (SELECT count(*)::int FROM credit_ledger WHERE workspace_id = $1 AND kind = 'grant') AS grants,
            (SELECT term_index FROM credit_balances WHERE workspace_id = $1) AS term_index,
            (SELECT sync_version::int FROM workspaces WHERE id = $1) AS sync_version,
            (SELECT term_index FROM workspaces WHERE id = $1) AS rm_term`,
    [id],
  );
  return rows[0]!;
};

describe('renewTerm: the renewal in one transaction', () => {
  it('opens the term, bills the ending term overage with the fee, writes the read model; a retry answers the same and changes nothing', async () => {
    const { id, input } = await renewingWorkspace(2094);
    const used = await checkAndDebit(pool, pricing, { workspaceId: id, idempotencyKey: 'u1', memberId: 'm', action: 'chat_question', feature: 'chat' });
    expect(used.ok).toBe(true);
    const overage = await overageUsed(pool, { workspaceId: id, termIndex: 0 });
    expect(overage).toBeGreaterThan(0);

    const first = await runActivity(acts.renewTerm, input);
    expect(first).toMatchObject({ overage, invoice: { kind: 'renewal', status: 'open' }, balanceAfter: { termIndex: 1, plan: 100, purchased: 0, overageUsed: 0 } });
    expect(first.invoice!.totalCents).toBeGreaterThan(2900);
    const lines = await pool.query<{ kind: string; quantity: number }>(`SELECT kind, quantity FROM invoice_lines WHERE invoice_id = $1 ORDER BY position`, [first.invoice!.id]);
    expect(lines.rows).toEqual([{ kind: 'base_fee', quantity: 1 }, { kind: 'overage', quantity: overage }]);
    expect(await rowsOf(id)).toEqual({ invoices: 1, grants: 1, term_index: 1, sync_version: 7, rm_term: 1 }); // term 0 granted 0 credits

    expect(await runActivity(acts.renewTerm, input)).toEqual(first);
    expect(await rowsOf(id)).toEqual({ invoices: 1, grants: 1, term_index: 1, sync_version: 7, rm_term: 1 }); // term 0 granted 0 credits
    await expectLedgerConsistent(pool, id);
  });

  it('run again a day later (the step retried after a blocked pause: new issuedAt, newer read model, usage in the new term meanwhile): the same invoice, no second grant, the overage not read again', async () => {
    const { id, input } = await renewingWorkspace(2095);
    await checkAndDebit(pool, pricing, { workspaceId: id, idempotencyKey: 'before', memberId: 'm', action: 'chat_question', feature: 'chat' });
    const first = await runActivity(acts.renewTerm, input);
    // Usage after the open belongs to the new term: a retry must not bill it as the ending term's overage.
    expect((await checkAndDebit(pool, pricing, { workspaceId: id, idempotencyKey: 'after', memberId: 'm', action: 'chat_question', feature: 'chat' })).ok).toBe(true);
    const later = {
      ...input,
      invoice: { ...input.invoice, issuedAt: input.invoice.issuedAt + DAY },
      readModel: { ...input.readModel, syncVersion: (input.readModel.syncVersion ?? 0) + 1 },
    };
    const again = await runActivity(acts.renewTerm, later);
    expect(again.invoice).toEqual(first.invoice);
    expect(again.overage).toBe(first.overage);
    expect(await rowsOf(id)).toMatchObject({ invoices: 1, grants: 1, term_index: 1 });
    await expectLedgerConsistent(pool, id);
  });

  it('the invoice is found awaiting delivery until its PDF is rendered and delivered (what ops query after a workflow was reset in between)', async () => {
    const { id, input } = await renewingWorkspace(2096);
    const { invoice } = await runActivity(acts.renewTerm, input);
    expect(await invoicesAwaitingDelivery(pool, id)).toEqual([{ id: invoice!.id, number: invoice!.number, status: 'open' }]);
    const outboxDir = mkdtempSync(path.join(os.tmpdir(), 'renew-term-outbox-'));
    try {
      await finalizeInvoice(pool, { outboxDir, publicBaseUrl: 'http://127.0.0.1:3000' }, invoice!.id);
    } finally {
      rmSync(outboxDir, { recursive: true, force: true });
    }
    expect(await invoicesAwaitingDelivery(pool, id)).toEqual([]);
  });

  it('nothing to bill (no fee, no overage): the term opens without an invoice', async () => {
    const { id, input } = await renewingWorkspace(2095);
    const free = { ...input, term: { ...input.term, plan: 'free', planCredits: 25, planPriceCents: 0 } };
    expect(await runActivity(acts.renewTerm, free)).toMatchObject({ overage: 0, invoice: null, balanceAfter: { termIndex: 1, plan: 25 } });
    expect(await rowsOf(id)).toMatchObject({ invoices: 0, grants: 1, term_index: 1 });
  });

  it('all or nothing: an invoice refused for good leaves the term unopened and the read model as it was', async () => {
    const { id, input } = await renewingWorkspace(2095);
    const other = await renewingWorkspace(2095);
    await runActivity(acts.renewTerm, other.input);
    // The invoice key of another workspace's renewal: refused, and the term opening rolls back with it.
    await nonRetryable(runActivity(acts.renewTerm, { ...input, invoice: { ...input.invoice, key: other.input.invoice.key } }), 'InvoiceKeyReused');
    expect(await rowsOf(id)).toMatchObject({ invoices: 0, grants: 0, term_index: 0, rm_term: 0 });
    await expectLedgerConsistent(pool, id);
  });

  it('an unknown workspace is refused without retries (workspace_not_found)', async () => {
    const { input } = await renewingWorkspace(2095);
    await nonRetryable(runActivity(acts.renewTerm, { ...input, term: { ...input.term, workspaceId: 'nobody-here' } }), 'workspace_not_found');
  });
});
