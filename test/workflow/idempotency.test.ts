// Nothing is granted, charged or invoiced twice: repeated updates, repeated
// purchase keys (also across continue-as-new), activities that crash after
// their side effect, and a worker stopped in the middle of a renewal.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { BillingActivities } from '../../activities';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingPlan, BillingStatus, BillingTermEnd, BillingWorkspaceId } from '../../workflows/search-attributes';
import { CodedError } from '../../src/domain/failure-codes';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { BillingTestEnv, DAY } from '../helpers/billing-env';
import { scheduledActivities } from '../helpers/workflow-history';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
// Each test's workspaces end with it: later time skips run only the next test's renewals.
afterEach(async () => {
  await t.endWorkspaces();
});
afterAll(async () => {
  await t?.teardown();
});

async function ledgerCount(id: string, kind: string) {
  const { rows } = await t.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM credit_ledger WHERE workspace_id = $1 AND kind = $2`,
    [id, kind],
  );
  return rows[0]!.n;
}

const chargesFor = (id: string) => t.sandbox.charges().filter((c) => c.metadata.workspace_id === id && c.status === 'succeeded');

describe('idempotency', () => {
  it('creating a workspace twice: same body answers the same workspace, another body is a conflict', async () => {
    const req = {
      id: 'idem-create',
      name: 'Idem',
      billingEmail: 'ap@idem.test',
      billingAddress: { country: 'DE' },
      plan: 'pro',
      paymentMethod: 'pm_card_visa',
    };
    const first = await t.workflows.createWorkspace(req);
    const again = await t.workflows.createWorkspace({ ...req, billingAddress: { country: 'DE' } });
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, workspace: first.workspace });
    await expect(t.workflows.createWorkspace({ ...req, plan: 'growth' })).rejects.toMatchObject({ code: 'conflict' });
    expect(await t.invoices('idem-create')).toHaveLength(1); // charged once, for the first term
    expect(await ledgerCount('idem-create', 'grant')).toBe(1);
  });

  it('the same update id twice is answered once, also after continue-as-new', async () => {
    const id = 'idem-update';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const first = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-upgrade-1');
    const again = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-upgrade-1');
    expect(again).toEqual(first);
    expect((await t.invoices(id)).filter((i) => i.kind === 'upgrade')).toHaveLength(1);
    expect(chargesFor(id)).toHaveLength(1);

    // Renewal continues-as-new: the next run still knows the answer.
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    const afterRenewal = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-upgrade-1');
    expect(afterRenewal).toEqual(first);
    expect((await t.invoices(id)).filter((i) => i.kind === 'upgrade')).toHaveLength(1);
    expect(chargesFor(id)).toHaveLength(2); // the upgrade and the renewal, nothing more
  });

  it('a refused update id keeps its answer after continue-as-new; a new id is a new attempt', async () => {
    const id = 'idem-refused';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_chargeCustomerFail' });
    const { workspace } = await t.state(id);
    const first = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-declined').catch((e: unknown) => e);
    expect(first).toMatchObject({ code: 'payment_failed' });

    await t.sleepUntil(workspace.termEnd + 60_000); // continue-as-new at renewal
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    await t.workflows.setPaymentMethod(id, 'pm_card_visa');
    const again = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-declined').catch((e: unknown) => e);
    expect(again).toMatchObject({ code: 'payment_failed', message: (first as Error).message });
    expect((await t.state(id)).workspace.plan).toBe('free');

    const fresh = await t.workflows.changePlan(id, { plan: 'pro' }, 'req-after-fix');
    expect(fresh).toMatchObject({ effective: 'immediately', plan: 'pro' });
  });

  it('the same purchase key twice grants and charges once; a different amount is a conflict', async () => {
    const id = 'idem-purchase';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const a = await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'buy-1' });
    const b = await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'buy-1' });
    expect(b).toEqual(a);
    expect(a).toMatchObject({ credits: 500, amountCents: 500, status: 'paid' });
    await expect(t.workflows.purchaseCredits(id, { credits: 900, idempotencyKey: 'buy-1' })).rejects.toMatchObject({
      code: 'conflict',
    });

    await t.sleepUntil(workspace.termEnd + 60_000); // continue-as-new at renewal
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    expect(await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'buy-1' })).toEqual(a);
    expect(await t.balances(id)).toMatchObject({ purchased_balance: 500 });
    expect(await ledgerCount(id, 'purchase')).toBe(1);
    expect(chargesFor(id)).toHaveLength(1); // free plan: only the purchase was charged
  });

  it('a request the workflow cannot finish in time answers 503 still_processing; the same request again gets the one result', async () => {
    const id = 'idem-slow';
    await t.create({ id, plan: 'free', paymentMethod: 'pm_card_visa' });
    const impatient = new BillingWorkflows(t.env.client, t.taskQueue, { requestTimeoutMs: 1000 });
    t.sandbox.setDelay(3000); // Stripe answers in 3 s: the purchase's charge outlasts the 1 s limit
    try {
      const err = await impatient.purchaseCredits(id, { credits: 500, idempotencyKey: 'slow-1' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CodedError);
      expect(err).toMatchObject({ code: 'still_processing' });
    } finally {
      t.sandbox.setDelay(0);
    }
    const paid = await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'slow-1' });
    expect(paid).toMatchObject({ credits: 500, status: 'paid' });
    expect(await t.workflows.purchaseCredits(id, { credits: 500, idempotencyKey: 'slow-1' })).toEqual(paid);
    expect(await t.balances(id)).toMatchObject({ purchased_balance: 500 });
    expect(await ledgerCount(id, 'purchase')).toBe(1);
    expect(chargesFor(id)).toHaveLength(1);
  });

  it('a worker that dies after each side effect of a renewal, and one stopped between activities, change nothing twice', async () => {
    const id = 'idem-crash';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 0 });
    const { workspace } = await t.state(id);
    expect(await t.useCredits(id, 107)).toBe(107); // 7 credits of overage for the renewal invoice

    // Each renewal activity does its work, then "crashes" before reporting, once.
    const real = t.realActivities();
    const crashed = new Set<string>();
    let stopRequested = false;
    const crashOnce = <K extends keyof BillingActivities>(name: K) =>
      (async (input: never) => {
        const result = await (real[name] as (i: never) => Promise<unknown>)(input);
        if (!crashed.has(name)) {
          crashed.add(name);
          throw new Error(`simulated crash after ${name} committed`);
        }
        if (name === 'renewTerm' && !stopRequested) {
          stopRequested = true; // then the worker goes away between activities
          setImmediate(() => void t.stopWorker());
        }
        return result;
      }) as BillingActivities[K];
    const crashing: BillingActivities = {
      ...real,
      renewTerm: crashOnce('renewTerm'),
      chargeInvoice: crashOnce('chargeInvoice'),
      finalizeInvoice: crashOnce('finalizeInvoice'),
    };
    await t.startWorker(crashing);

    const chargesBefore = chargesFor(id).length;
    // The test server does not move time while a workflow task waits for a
    // worker, so the clock runs on in the background while we swap workers.
    const sleeping = t.sleepUntil(workspace.termEnd + 60_000);
    // Wait for the renewal to reach renewTerm (no fixed budget: a loaded CI machine is slow to get there).
    await vi.waitFor(() => expect(stopRequested).toBe(true), { timeout: 120_000, interval: 50 });
    await t.startWorker(crashing); // a new worker picks the renewal up where it stopped
    await sleeping;
    await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal');
    await t.env.sleep(DAY);

    expect([...crashed].sort()).toEqual(['chargeInvoice', 'finalizeInvoice', 'renewTerm']);
    expect(await ledgerCount(id, 'grant')).toBe(2); // term 0 and term 1, once each
    expect(await t.balances(id)).toMatchObject({ plan_balance: 100, overage_used: 0, term_index: 1 });
    const renewals = (await t.invoices(id)).filter((i) => i.business_key === `renewal:${id}:1`);
    expect(renewals).toHaveLength(1);
    expect(renewals[0]).toMatchObject({ status: 'paid', subtotal_cents: 2900 + 7 });
    expect(chargesFor(id).length).toBe(chargesBefore + 1);
    await t.startWorker(real);
    const finalized = await t.pool.query(`SELECT count(*)::int AS n FROM outbox_events WHERE dedupe_key LIKE $1`, [
      `invoice.finalized:${renewals[0]!.id}:%`,
    ]);
    expect(finalized.rows[0].n).toBe(1);
  }, 240_000);

  it('continue-as-new happens at every renewal and carries the state', async () => {
    const id = 'idem-chain';
    await t.create({ id, plan: 'growth', paymentMethod: 'pm_card_visa' });
    await t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: 1000 });
    await t.workflows.setFeature(id, 'slack', false);
    await t.workflows.changePlan(id, { plan: 'pro' }); // scheduled: survives into the next run until applied
    const before = await t.state(id);
    const handle = t.env.client.workflow.getHandle(workflowIdFor(id));
    const firstRunId = (await handle.describe()).runId;

    for (let n = 1; n <= 2; n++) {
      await t.sleepUntil(before.workspace.termEnd + (n - 1) * 31 * DAY + 60_000);
      await t.waitFor(id, (x) => x.workspace.termIndex === n, `term ${n}`);
    }
    const desc = await handle.describe();
    expect(desc.runId).not.toBe(firstRunId);
    // Ops find the workspace by its search attributes, kept current across runs.
    expect(desc.typedSearchAttributes.get(BillingWorkspaceId)).toBe(id);
    expect(desc.typedSearchAttributes.get(BillingPlan)).toBe('pro');
    expect(desc.typedSearchAttributes.get(BillingStatus)).toBe('active');
    expect(desc.typedSearchAttributes.get(BillingTermEnd)?.getTime()).toBe((await t.state(id)).workspace.termEnd);
    const firstRun = await t.env.client.workflow.getHandle(workflowIdFor(id), firstRunId).fetchHistory();
    const lastEvent = firstRun.events![firstRun.events!.length - 1]!;
    expect(lastEvent.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();

    const after = await t.state(id);
    expect(after.workspace).toMatchObject({
      plan: 'pro', // the scheduled downgrade applied at the first renewal
      onDemand: { enabled: true, monthlyLimit: 1000 },
      disabledFeatures: ['slack'],
      anchorAt: before.workspace.anchorAt,
      termIndex: 2,
    });
    expect(after.scheduledChange).toBeNull();
    // The run after a renewal starts on the catalog that renewal loaded moments before: it loads none itself.
    const currentRun = await handle.fetchHistory();
    expect(scheduledActivities(currentRun.events ?? []).map((a) => a.type)).not.toContain('getPricing');
    expect(scheduledActivities(firstRun.events ?? []).filter((a) => a.type === 'getPricing').map((a) => a.summary)).toEqual([
      'Load the pricing catalog',
      'Load the pricing catalog for the new term',
    ]);
  }, 180_000);
});

describe('a renewal step that fails for good', () => {
  it('does not end the workflow: it is retried after 1 and 2 hours and then renews once', async () => {
    const id = 'blocked-renewal';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const real = t.realActivities();
    let refusals = 0;
    await t.startWorker({
      ...real,
      renewTerm: async (input) => {
        if (input.term.termIndex === 1 && refusals < 2) {
          refusals += 1;
          throw ApplicationFailure.nonRetryable('simulated bad data', 'term_mismatch');
        }
        return real.renewTerm(input);
      },
    });
    await t.sleepUntil(workspace.termEnd + 60_000);
    await t.waitFor(id, () => refusals === 1, 'first refusal');
    const desc = await t.env.client.workflow.getHandle(workflowIdFor(id)).describe();
    expect(desc.status.name).toBe('RUNNING');

    await t.sleepUntil(workspace.termEnd + 4 * 3_600_000);
    const s = await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal after the retries');
    expect(refusals).toBe(2);
    expect(s.workspace.status).toBe('active');
    expect(await ledgerCount(id, 'grant')).toBe(2);
    expect((await t.invoices(id)).filter((i) => i.kind === 'renewal')).toHaveLength(2);
    await t.startWorker(real);
  });
});

describe('update validators', () => {
  it('refuse bad input before it reaches the history', async () => {
    const id = 'validators';
    await t.create({ id, plan: 'free' });
    const handle = t.env.client.workflow.getHandle(workflowIdFor(id));
    const eventsBefore = (await handle.fetchHistory()).events!.length;

    await expect(t.workflows.changePlan(id, { plan: 'platinum' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.changePlan(id, { plan: 'enterprise' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.purchaseCredits(id, { credits: 99, idempotencyKey: 'too-few' })).rejects.toMatchObject({ code: 'validation_failed' });
    // Issue 11, defect 2: a key no table can store (a lone surrogate) is refused here too, not charged and then wedged.
    await expect(t.workflows.purchaseCredits(id, { credits: 100, idempotencyKey: 'k\ud800' })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.setFeature(id, 'chat\u202e', false)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.setOnDemand(id, { enabled: true, monthlyLimit: -5 })).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.setFeature(id, 'Not A Feature', false)).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(t.workflows.setPaymentMethod(id, 'card_123')).rejects.toMatchObject({ code: 'validation_failed' });

    // Rejected in the validator: no update was accepted, nothing ran (only workflow tasks may be recorded).
    const added = (await handle.fetchHistory()).events!.slice(eventsBefore);
    expect(added.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes || e.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(added.every((e) => e.workflowTaskScheduledEventAttributes || e.workflowTaskStartedEventAttributes || e.workflowTaskCompletedEventAttributes)).toBe(true);
    expect((await t.state(id)).workspace).toMatchObject({ plan: 'free', onDemand: { enabled: false, monthlyLimit: 0 }, disabledFeatures: [] });
  });
});
