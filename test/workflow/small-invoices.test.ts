// Invoices too small to charge: a zero total is settled as issued (paid, not
// charged); a total below Stripe's $0.50 minimum is carried forward to the
// workspace's next invoice and paid with it, never written off.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BillingTestEnv, DAY } from '../helpers/billing-env';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

const enterprise = (monthlyPriceCents: number, monthlyCredits: number) => ({ plan: 'enterprise', enterprise: { monthlyCredits, monthlyPriceCents } });
const invoiceOfKind = async (id: string, kind: string) => (await t.invoices(id)).filter((i) => i.kind === kind);
const pdfStatus = async (invoiceId: string) =>
  (await t.pool.query<{ pdf_status: string }>(`SELECT pdf_status FROM invoices WHERE id = $1`, [invoiceId])).rows[0]?.pdf_status;

/** Waits until the stored PDF shows `status` (the renewal's delivery runs just after its charge). */
async function deliveredAs(invoiceId: string, status: string) {
  await vi.waitFor(async () => expect(await pdfStatus(invoiceId)).toBe(status), { timeout: 10_000, interval: 50 });
}

describe('invoices too small to charge', () => {
  it('an upgrade whose prorated difference rounds to $0 is settled at once: paid, not charged, delivered as paid', async () => {
    const id = 'zero-upgrade';
    await t.create({ id, ...enterprise(10_000, 1000), paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    await t.sleepUntil(workspace.termStart + 20 * DAY); // 1 cent a month more, for the last third of the term: $0.00
    const upgrade = await t.workflows.changePlan(id, enterprise(10_001, 2000));
    expect(upgrade).toMatchObject({ effective: 'immediately', balance: { plan: 2000 } });

    const [invoice] = await invoiceOfKind(id, 'upgrade');
    expect(invoice).toMatchObject({ total_cents: 0, status: 'paid' });
    expect(t.sandbox.charges().filter((c) => c.metadata.invoice_id === invoice!.id)).toEqual([]);
    expect(await pdfStatus(invoice!.id)).toBe('paid');
  });

  it('an upgrade below $0.50 is carried forward to the renewal invoice and paid with it', async () => {
    const id = 'tiny-upgrade';
    await t.create({ id, ...enterprise(10_000, 1000), paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    await t.sleepUntil(workspace.termStart + 20 * DAY); // $1.00 a month more for about a third of the term
    await t.workflows.changePlan(id, enterprise(10_100, 2000));
    const [upgrade] = await invoiceOfKind(id, 'upgrade');
    expect(upgrade!.total_cents).toBeGreaterThan(0);
    expect(upgrade!.total_cents).toBeLessThan(50);
    expect(upgrade!.status).toBe('open'); // not charged, not written off
    expect(t.sandbox.charges().filter((c) => c.metadata.invoice_id === upgrade!.id)).toEqual([]);

    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    const [, renewal] = await invoiceOfKind(id, 'renewal');
    const lines = await t.invoiceLines(renewal!.id);
    expect(lines.map((l) => [l.kind, l.amount_cents])).toEqual([['base_fee', 10_100], ['carried_forward', upgrade!.total_cents]]);
    expect(lines[1]!.description).toContain(upgrade!.number);
    expect(renewal).toMatchObject({ status: 'paid', subtotal_cents: 10_100, total_cents: 10_100 + 732 + upgrade!.total_cents }); // tax on the base fee only
    expect((await invoiceOfKind(id, 'upgrade'))[0]).toMatchObject({ status: 'paid' });
    await deliveredAs(upgrade!.id, 'paid'); // re-delivered to finance with the renewal
  });
});
