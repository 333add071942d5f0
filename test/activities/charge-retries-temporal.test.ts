import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createInvoiceActivities } from '../../activities/invoices';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox } from '../../src/stripe-sandbox/server';
import { bundleWorkflows, createTimeSkippingEnv } from '../helpers/temporal';
import { insertWorkspace, uniqueId } from '../helpers/workspaces';
import { chargeWithRetries } from './fixtures/charge-with-retries';

// The charge activity under a real Temporal worker and retry policy: 5xx are
// retried and charge once; a decline fails the first attempt for good.
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let pool: Pool;
let sandbox: StripeSandbox;
let acts: ReturnType<typeof createInvoiceActivities>;

beforeAll(async () => {
  // (test/helpers/temporal keeps the worker's log to errors: expected failures are asserted on below.)
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflows(fileURLToPath(new URL('./fixtures/charge-with-retries.ts', import.meta.url))),
  ]);
  pool = createPool(inject('databaseUrl'), 3);
  sandbox = await StripeSandbox.start();
  acts = createInvoiceActivities({
    pool,
    pricing: loadPricing(),
    stripe: createStripeClient({ secretKey: 'sk_test_sandbox', apiBase: sandbox.url }),
    outboxDir: '/nonexistent',
    publicBaseUrl: 'https://billing.test',
    seller: { name: 'S', address: [] },
  });
});
afterAll(async () => {
  await sandbox?.close();
  await pool?.end();
  await env?.teardown();
});

async function openInvoice(card: string) {
  const workspaceId = await insertWorkspace(pool, { id: uniqueId('tmp') });
  await acts.ensurePaymentMethod({ workspaceId, paymentMethod: card });
  return acts.issueInvoice({
    key: `upgrade:${workspaceId}:r1`,
    workspaceId,
    kind: 'upgrade',
    periodStart: Date.parse('2085-03-15T00:00:00Z'),
    periodEnd: Date.parse('2085-04-01T00:00:00Z'),
    issuedAt: Date.parse('2085-03-15T00:00:00Z'),
    upgrade: {
      fromPlan: 'pro', toPlan: 'growth', fromPriceCents: 2900, toPriceCents: 24_900,
      termStart: Date.parse('2085-03-01T00:00:00Z'), termEnd: Date.parse('2085-04-01T00:00:00Z'), at: Date.parse('2085-03-15T00:00:00Z'),
    },
  });
}

async function run(invoiceId: string) {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'charges', workflowBundle: bundle, activities: acts });
  return worker.runUntil(
    env.client.workflow.execute(chargeWithRetries, { taskQueue: 'charges', workflowId: `charge-${invoiceId}`, args: [{ invoiceId, attempt: 1 }] }),
  );
}

const attemptsOn = (invoiceId: string) => sandbox.charges().filter((c) => c.metadata.invoice_id === invoiceId);

describe('chargeInvoice under a Temporal retry policy', () => {
  it('two 5xx answers are retried; the third attempt charges, once', async () => {
    const invoice = await openInvoice('pm_card_visa');
    const requestsBefore = sandbox.stats().requests;
    sandbox.injectFailures({ count: 2, status: 503, path: '/v1/payment_intents' });
    const result = await run(invoice.id);
    expect(result).toEqual({ ok: true, outcome: 'paid', paymentIntentId: expect.stringMatching(/^pi_/) });
    expect(sandbox.stats().requests - requestsBefore).toBe(3);
    expect(attemptsOn(invoice.id)).toHaveLength(1);
  });

  it('a decline is not retried and reaches the workflow as PaymentFailed with the reason', async () => {
    const invoice = await openInvoice('pm_card_chargeCustomerFail');
    const requestsBefore = sandbox.stats().requests;
    const result = await run(invoice.id);
    expect(result).toEqual({
      ok: false,
      type: 'PaymentFailed',
      nonRetryable: true,
      details: { reason: 'Your card was declined.', code: 'card_declined', declineCode: 'generic_decline', paymentIntentId: expect.stringMatching(/^pi_/) },
    });
    expect(sandbox.stats().requests - requestsBefore).toBe(1);
  });
});
