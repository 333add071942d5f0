// A refused payment at sign-up or at re-subscription leaves nothing behind that
// blocks the next attempt: the void invoice keeps its number and stays void,
// the next attempt gets its own invoice (time-skipping server, real Postgres,
// Stripe sandbox).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingStatus } from '../../workflows/search-attributes';
import { BillingTestEnv } from '../helpers/billing-env';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

const readModelStatus = async (id: string) =>
  (await t.pool.query<{ status: string }>(`SELECT status FROM workspaces WHERE id = $1`, [id])).rows[0]?.status;

describe('a refused sign-up', () => {
  it('declined at the first charge: creates nothing, ops see signup_failed, and another body then creates the workspace with a fresh invoice', async () => {
    const id = 'refused-first-charge';
    await expect(t.create({ id, plan: 'pro', paymentMethod: 'pm_card_chargeCustomerFail' })).rejects.toMatchObject({
      code: 'payment_failed',
    });
    const [voided] = await t.invoices(id);
    expect(voided).toMatchObject({ status: 'void', kind: 'renewal' });
    // Finance gets the void number too: its PDF in the outbox and an invoice.voided event.
    expect(existsSync(path.join(t.outboxDir, `${voided!.number}.pdf`))).toBe(true);
    const { rows: events } = await t.pool.query<{ type: string; payload: { number: string; status: string; pdfUrl: string } }>(
      `SELECT type, payload FROM outbox_events WHERE payload->>'invoiceId' = $1`,
      [voided!.id],
    );
    expect(events).toEqual([
      {
        type: 'invoice.voided',
        payload: expect.objectContaining({ number: voided!.number, status: 'void', pdfUrl: `https://billing.test/v1/invoices/${voided!.id}/pdf` }),
      },
    ]);
    expect(await t.balances(id)).toBeUndefined();
    // Not `deleted`: ops tell a refused sign-up from a purged workspace, in the read model and in Temporal.
    expect(await readModelStatus(id)).toBe('signup_failed');
    const failedRun = await t.env.client.workflow.getHandle(workflowIdFor(id)).describe();
    expect(failedRun.status.name).toBe('COMPLETED');
    expect(failedRun.typedSearchAttributes.get(BillingStatus)).toBe('signup_failed');

    await t.create({ id, plan: 'growth', paymentMethod: 'pm_card_visa', name: 'Second try' });
    const s = await t.state(id);
    expect(s.phase).toBe('subscribed');
    expect(s.workspace).toMatchObject({ plan: 'growth', status: 'active', name: 'Second try' });
    expect(await readModelStatus(id)).toBe('active');
    const invoices = await t.invoices(id);
    expect(invoices).toHaveLength(2);
    expect(invoices[0]).toEqual(voided); // keeps its number, stays void
    expect(invoices[1]).toMatchObject({ status: 'paid', kind: 'renewal' });
    expect(invoices[1]!.number).not.toBe(voided!.number);
    expect(await t.balances(id)).toMatchObject({ term_index: 0 });
  });

  it('card rejected when attached: creates nothing, and the same request with a good card then creates it', async () => {
    const id = 'refused-at-attach';
    await expect(t.create({ id, plan: 'pro', paymentMethod: 'pm_card_notKnownToStripe' })).rejects.toMatchObject({
      code: 'payment_method_rejected',
    });
    expect(await readModelStatus(id)).toBe('signup_failed');
    expect(await t.invoices(id)).toEqual([]);

    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    expect((await t.state(id)).workspace.status).toBe('active');
    expect((await t.invoices(id)).map((i) => i.status)).toEqual(['paid']);
  });
});

describe('a declined re-subscription during retention', () => {
  it('is refused and voided; a re-subscription with a good card then works with a fresh invoice, and renews', async () => {
    const id = 'refused-resubscribe';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    await t.workflows.cancel(id);
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.phase === 'retention', 'retention');

    await t.workflows.setPaymentMethod(id, 'pm_card_chargeCustomerFail');
    await expect(t.workflows.resume(id)).rejects.toMatchObject({ code: 'payment_failed' });
    const declined = (await t.invoices(id)).find((i) => i.status === 'void');
    expect(declined).toBeDefined();
    expect((await t.state(id)).phase).toBe('retention');

    await t.workflows.setPaymentMethod(id, 'pm_card_visa');
    expect(await t.workflows.resume(id)).toMatchObject({ status: 'active', retentionUntil: null });
    const s = await t.waitFor(id, (x) => x.phase === 'subscribed', 'subscribed again');
    const invoices = await t.invoices(id);
    expect(invoices.find((i) => i.id === declined!.id)).toEqual(declined); // still void, same number
    const fresh = invoices.filter((i) => i.status === 'paid' && i.period_start.getTime() === s.workspace.termStart);
    expect(fresh).toHaveLength(1);
    expect(await t.balances(id)).toMatchObject({ plan_balance: 100, term_index: s.workspace.termIndex });

    await t.sleepUntil(s.workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.workspace.termIndex === s.workspace.termIndex + 1, 'the next renewal');
    expect((await t.invoices(id)).filter((i) => i.status === 'paid')).toHaveLength(3);
    expect((await t.state(id)).workspace.status).toBe('active');
  }, 120_000);
});
