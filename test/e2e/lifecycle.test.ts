// A workspace's life over real HTTP, against the Temporal dev server, the
// Stripe sandbox and Postgres: Free, exhausted, card, purchase, declined
// purchase, upgrade to Pro, invoices as PDFs, cancellation, export, metrics.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPricing } from '../../src/config/pricing';
import { formatUsd } from '../../src/domain/money';
import { prorateUpgrade } from '../../src/domain/proration';
import { taxCents } from '../../src/domain/tax';
import { apiClient, metricSample, usageBody, workspaceBody, type ApiCall } from '../helpers/http';
import { pdfPagesText, writePdfArtifact } from '../helpers/pdf';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

const NY_TAX_BPS = 400;
let stack: Stack;
let call: ApiCall;
const id = uniqueId('e2e');
const ws = `/v1/workspaces/${id}`;
let termEnd: string;
let purchaseInvoiceId: string;
let upgradeInvoiceId: string;
let upgradeAnswer: Record<string, unknown>;

beforeAll(async () => {
  stack = await startStack();
  call = apiClient(stack.api, stack.tokens.api);
});
afterAll(async () => {
  await stack?.stop();
});

describe('workspace lifecycle over HTTP (Temporal dev server, Stripe sandbox, Postgres)', () => {
  it('is healthy: Postgres and Temporal answer', async () => {
    const res = await call('GET', '/healthz', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { postgres: 'ok', temporal: 'ok' } });
  });

  it('creates a Free workspace with 25 credits; the same request again answers 200', async () => {
    const created = await call('POST', '/v1/workspaces', { body: workspaceBody(id) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id,
      plan: 'free',
      status: 'active',
      balance: { plan: 25, purchased: 0, total: 25 },
      overage: { enabled: false, monthlyLimit: 0, used: 0 },
      disabledFeatures: [],
      cancelAt: null,
      retentionUntil: null,
    });
    termEnd = created.body.term.end;
    expect(Date.parse(termEnd)).toBeGreaterThan(Date.parse(created.body.term.start));

    const again = await call('POST', '/v1/workspaces', { body: workspaceBody(id) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    expect((await call('GET', ws)).body).toEqual(created.body);
  });

  it('debits 1 credit per question from the plan bucket until a 402 says when credits refresh', async () => {
    for (let i = 1; i <= 25; i++) {
      const res = await call('POST', `${ws}/usage`, { body: usageBody(`q-${i}`, `member-${i % 3}`) });
      expect(res.status, `question ${i}`).toBe(200);
      expect(res.body).toEqual({
        creditsCharged: 1,
        buckets: { plan: 1, purchased: 0, overage: 0 },
        balance: { plan: 25 - i, purchased: 0, total: 25 - i },
        unbilledShortfall: 0,
      });
    }
    const refused = await call('POST', `${ws}/usage`, { body: usageBody('q-26') });
    expect(refused.status).toBe(402);
    expect(refused.body.error).toMatchObject({
      code: 'credit_limit_reached',
      refreshesAt: termEnd,
      creditsRequired: 1,
      balance: { plan: 0, purchased: 0, total: 0 },
    });
    expect(refused.body.error.message).toContain(termEnd);

    // A retry of an answered request replays its answer and debits nothing.
    const retry = await call('POST', `${ws}/usage`, { body: usageBody('q-1', 'member-1') });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.balance).toEqual({ plan: 24, purchased: 0, total: 24 });
    expect((await call('GET', ws)).body.balance).toEqual({ plan: 0, purchased: 0, total: 0 });
  });

  it('buys 1,000 credits with a card on file; credits arrive after the payment', async () => {
    const noCard = await call('POST', `${ws}/purchases`, { body: { credits: 1000, idempotencyKey: 'buy-1' } });
    expect(noCard.status).toBe(422);
    expect(noCard.body.error.code).toBe('payment_method_required');
    // The refusal names the endpoint that sets a card.
    expect(noCard.body.error.message).toContain(`PUT /v1/workspaces/${id}/payment-method`);

    const card = await call('PUT', `${ws}/payment-method`, { body: { paymentMethod: 'pm_card_visa' } });
    expect(card.status).toBe(200);
    expect(card.body).toEqual({ paymentMethod: 'pm_card_visa' });

    const bought = await call('POST', `${ws}/purchases`, { body: { credits: 1000, idempotencyKey: 'buy-1' } });
    expect(bought.status, JSON.stringify(bought.body)).toBe(201);
    // What the card was charged: $10 of credits plus New York tax, and the invoice that says so.
    expect(bought.body).toMatchObject({
      credits: 1000,
      amountCents: 1000,
      status: 'paid',
      subtotalCents: 1000,
      taxCents: 40,
      totalCents: 1040,
      invoiceNumber: expect.stringMatching(/^INV-\d{4}-\d{6}$/),
    });
    purchaseInvoiceId = bought.body.invoiceId;
    expect((await call('GET', ws)).body.balance).toEqual({ plan: 0, purchased: 1000, total: 1000 });

    // The same key again is answered, not charged again.
    const again = await call('POST', `${ws}/purchases`, { body: { credits: 1000, idempotencyKey: 'buy-1' } });
    expect(again.body).toEqual(bought.body);
    expect((await call('GET', ws)).body.balance.purchased).toBe(1000);
    expect(stack.sandbox.stats().charges).toBe(1);
    // Stripe's payment_intent.succeeded webhook reached our route, signature verified.
    await stack.sandbox.webhooksIdle();
    const deliveries = stack.sandbox.deliveries().filter((d) => d.type === 'payment_intent.succeeded');
    expect(deliveries.length).toBeGreaterThan(0);
    expect(deliveries.map((d) => d.status)).toEqual(deliveries.map(() => 200));
  });

  it('uses purchased credits once the plan bucket is empty', async () => {
    const res = await call('POST', `${ws}/usage`, { body: usageBody('q-27') });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ creditsCharged: 1, buckets: { plan: 0, purchased: 1, overage: 0 }, balance: { plan: 0, purchased: 999, total: 999 } });
  });

  it('refuses a purchase on a declined card with the reason; the same key works once the card is fixed', async () => {
    expect((await call('PUT', `${ws}/payment-method`, { body: { paymentMethod: 'pm_card_chargeCustomerFail' } })).status).toBe(200);
    const declined = await call('POST', `${ws}/purchases`, { body: { credits: 500, idempotencyKey: 'buy-declined' } });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ code: 'payment_failed', reason: 'Your card was declined.' });
    const voided = await call('GET', `/v1/invoices/${declined.body.error.invoiceId}`);
    expect(voided.body).toMatchObject({ kind: 'credit_purchase', status: 'void' });
    expect((await call('GET', ws)).body.balance).toEqual({ plan: 0, purchased: 999, total: 999 });

    expect((await call('PUT', `${ws}/payment-method`, { body: { paymentMethod: 'pm_card_visa' } })).status).toBe(200);
    const retried = await call('POST', `${ws}/purchases`, { body: { credits: 500, idempotencyKey: 'buy-declined' } });
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ credits: 500, amountCents: 500, status: 'paid' });
    expect(retried.body.invoiceId).not.toBe(declined.body.error.invoiceId);
    expect((await call('GET', ws)).body.balance).toEqual({ plan: 0, purchased: 1499, total: 1499 });
  });

  it('upgrades Free -> Pro mid-term: the plan bucket becomes exactly 100, purchased credits stay', async () => {
    const res = await call('POST', `${ws}/plan`, { body: { plan: 'pro' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      effective: 'immediately',
      plan: 'pro',
      currentPlan: 'pro',
      balance: { plan: 100, purchased: 1499, total: 1599 },
    });
    upgradeInvoiceId = res.body.invoiceId;
    upgradeAnswer = res.body;
    const view = (await call('GET', ws)).body;
    expect(view).toMatchObject({ plan: 'pro', status: 'active', balance: { plan: 100, purchased: 1499, total: 1599 }, scheduledChange: null });
    expect(view.term.end).toBe(termEnd); // an upgrade keeps the term
  });

  it('schedules a downgrade (shown on the workspace), withdraws it by choosing the current plan again, and says so', async () => {
    const down = await call('POST', `${ws}/plan`, { body: { plan: 'free' } });
    expect(down.status).toBe(200);
    expect(down.body).toEqual({ effective: 'at_renewal', plan: 'free', currentPlan: 'pro', effectiveAt: termEnd });
    expect((await call('GET', ws)).body).toMatchObject({ plan: 'pro', scheduledChange: { plan: 'free', effectiveAt: termEnd } });

    const withdrawn = await call('POST', `${ws}/plan`, { body: { plan: 'pro' } });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ effective: 'withdrawn', plan: 'pro', currentPlan: 'pro' });
    expect(withdrawn.body.invoiceId).toBeUndefined(); // nothing was charged
    expect((await call('GET', ws)).body).toMatchObject({ plan: 'pro', scheduledChange: null, balance: { plan: 100, purchased: 1499 } });

    const same = await call('POST', `${ws}/plan`, { body: { plan: 'pro' } });
    expect(same.body).toMatchObject({ effective: 'unchanged', plan: 'pro', currentPlan: 'pro' });
  });

  it('lists the invoices: the upgrade is prorated, the purchase costs $10 plus New York tax', async () => {
    const list = await call('GET', `${ws}/invoices`);
    expect(list.status).toBe(200);
    const byId = new Map<string, Record<string, any>>(list.body.invoices.map((i: { id: string }) => [i.id, i])); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(list.body.invoices.map((i: { kind: string; status: string }) => `${i.kind}:${i.status}`).sort()).toEqual([
      'credit_purchase:paid',
      'credit_purchase:paid',
      'credit_purchase:void',
      'upgrade:paid',
    ]);

    const purchase = byId.get(purchaseInvoiceId)!;
    expect(purchase).toMatchObject({ subtotalCents: 1000, tax: { rateBps: NY_TAX_BPS, amountCents: 40 }, totalCents: 1040 });
    expect(purchase.number).toMatch(/^INV-\d{4}-\d{6}$/);

    const upgrade = byId.get(upgradeInvoiceId)!;
    const view = (await call('GET', ws)).body;
    const expected = prorateUpgrade({
      fromPriceCents: 0,
      toPriceCents: loadPricing().plans.pro!.monthlyPriceCents!,
      termStart: Date.parse(view.term.start),
      termEnd: Date.parse(view.term.end),
      at: Date.parse(upgrade.periodStart),
    }).amountCents;
    expect(upgrade).toMatchObject({ subtotalCents: expected, totalCents: expected + taxCents(expected, NY_TAX_BPS), status: 'paid' });
    // The upgrade's answer said what was charged: the invoice's number and amounts.
    expect(upgradeAnswer).toMatchObject({
      invoiceId: upgrade.id,
      invoiceNumber: upgrade.number,
      subtotalCents: upgrade.subtotalCents,
      taxCents: upgrade.tax.amountCents,
      totalCents: upgrade.totalCents,
    });
    expect(upgrade.paymentReference).toMatch(/^pi_/);
  });

  it.each([
    ['purchase', () => purchaseInvoiceId],
    ['upgrade', () => upgradeInvoiceId],
  ])('serves the %s invoice PDF (read token too) and delivered it to the finance outbox', async (name, invoiceId) => {
    const invoice = (await call('GET', `/v1/invoices/${invoiceId()}`)).body;
    const pdf = await call('GET', `/v1/invoices/${invoiceId()}/pdf`, { token: stack.tokens.read });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = (await pdfPagesText(pdf.bytes)).join('\n');
    expect(text).toContain(invoice.number);
    expect(text).toContain(formatUsd(invoice.totalCents));
    expect(text).toContain('PAID');
    expect(text).toContain(`Acme ${id}`);
    writePdfArtifact(`e2e-${name}-invoice`, pdf.bytes);
    expect(existsSync(path.join(stack.outboxDir, `${invoice.number}.pdf`))).toBe(true);
  });

  it('cancels at the term end; usage keeps working until then; resume undoes it', async () => {
    const cancelled = await call('POST', `${ws}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ status: 'active', cancelAt: termEnd, retentionUntil: null });
    expect((await call('GET', ws)).body.cancelAt).toBe(termEnd);

    const used = await call('POST', `${ws}/usage`, { body: usageBody('q-28') });
    expect(used.status).toBe(200);
    expect(used.body.buckets).toEqual({ plan: 1, purchased: 0, overage: 0 });

    const resumed = await call('POST', `${ws}/resume`);
    expect(resumed.body).toEqual({ status: 'active', cancelAt: null, retentionUntil: null });
    const again = await call('POST', `${ws}/cancel`);
    expect(again.body.cancelAt).toBe(termEnd);
  });

  it('exports everything the workspace may take away', async () => {
    const res = await call('GET', `${ws}/export`, { token: stack.tokens.read });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${id}-export.json"`);
    const { workspace, usage, ledger, invoices } = res.body;
    expect(workspace).toMatchObject({ id, plan: 'pro', cancelAt: termEnd, balance: { plan: 99, purchased: 1499, total: 1598 } });
    // 25 plan questions, 1 from purchased, 1 during the pending cancellation; refusals and replays are not usage.
    expect(usage).toHaveLength(27);
    expect(usage.reduce((sum: number, u: { credits: number }) => sum + u.credits, 0)).toBe(27);
    expect(invoices).toHaveLength(4);
    // The ledger sums to the balance.
    const sum = (bucket: string) =>
      ledger.filter((l: { bucket: string }) => l.bucket === bucket).reduce((s: number, l: { amount: number }) => s + l.amount, 0);
    expect({ plan: sum('plan'), purchased: sum('purchased') }).toEqual({ plan: 99, purchased: 1499 });

    const summary = await call('GET', `${ws}/usage?groupBy=member`);
    expect(summary.body.totals).toEqual({ requests: 27, credits: 27, tokens: 0 });
  });

  it('shows our counters and the Temporal worker metrics on /metrics', async () => {
    const res = await call('GET', '/metrics', { token: null });
    expect(res.status).toBe(200);
    const text = res.body as string;
    expect(metricSample(text, 'billing_credits_debited_total', { bucket: 'plan' })).toBe(26);
    expect(metricSample(text, 'billing_credits_debited_total', { bucket: 'purchased' })).toBe(1);
    expect(metricSample(text, 'billing_usage_refusals_total', { reason: 'credit_limit_reached' })).toBe(1);
    expect(metricSample(text, 'billing_invoices_issued_total', { kind: 'credit_purchase' })).toBe(3);
    expect(metricSample(text, 'billing_invoices_issued_total', { kind: 'upgrade' })).toBe(1);
    expect(metricSample(text, 'billing_payment_failures_total', { reason: 'generic_decline' })).toBe(1);
    // 25 from the plan, 1 replay, 1 from purchased, 1 during the pending cancellation.
    expect(
      metricSample(text, 'billing_http_request_duration_seconds_count', { method: 'POST', route: '/v1/workspaces/:id/usage', status: '200' }),
    ).toBe(28);
    // The SDK runtime's Prometheus exporter, appended by /metrics.
    expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
    expect(text).toMatch(/^temporal_activity_execution_latency/m);
  });
});
