// A plan change applies to the term in force. Between the end of a term and
// the end of its renewal step the workflow is between terms: a change that
// arrives while the renewal is merely due waits for it (it runs at once in the
// main loop); while the renewal step is BLOCKED (sleeping until it is retried)
// the change is refused with 409 renewal_pending before anything is charged.
import { WorkflowUpdateStage } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { changePlanUpdate, workflowIdFor, type PlanChangeResult } from '../../workflows/definitions';
import { BillingTestEnv } from '../helpers/billing-env';
import { blockRenewal } from '../helpers/blocked-renewal';

let t: BillingTestEnv;
beforeAll(async () => {
  t = await BillingTestEnv.create();
});
afterAll(async () => {
  await t?.teardown();
});

const HOUR = 3_600_000;
const upgradeInvoices = async (id: string) => (await t.invoices(id)).filter((i) => i.kind === 'upgrade');
const chargesOf = (id: string) => t.sandbox.charges().filter((c) => c.metadata.workspace_id === id);

/** Resolves once the server has admitted the update (it is unknown, NOT_FOUND, until then). */
async function updateAdmitted(workspaceId: string, runId: string, updateId: string): Promise<void> {
  const { connection } = t.env.client;
  await vi.waitFor(
    () =>
      connection.withDeadline(Date.now() + 2_000, () =>
        connection.workflowService.pollWorkflowExecutionUpdate({
          namespace: t.env.namespace ?? 'default',
          updateRef: { workflowExecution: { workflowId: workflowIdFor(workspaceId), runId }, updateId },
          waitPolicy: { lifecycleStage: proto.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
        }),
      ),
    { timeout: 15_000, interval: 20 },
  );
}

describe('plan changes at the end of a term', () => {
  it('after the term ended but before its renewal ran: the upgrade waits for the renewal and applies to the new term', async () => {
    const id = 'upgrade-while-renewal-due';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    // No worker while the term ends: the term-end timer fires and the upgrade arrives, and one workflow task gets both.
    // First in this file: with the worker stopped, no other workspace's timer may fall due (the clock is shared).
    await t.stopWorker();
    const handle = t.env.client.workflow.getHandle(workflowIdFor(id));
    const { runId } = await handle.describe(); // the run that ends the term (the renewal continues as new)
    let upgrade: PlanChangeResult;
    try {
      // Just past the end: once the timer fired, its workflow task (no worker) holds the clock, which then runs in real time.
      await t.sleepUntil(workspace.termEnd + 100);
      const pending = handle.startUpdate(changePlanUpdate, {
        args: [{ plan: 'growth' }],
        updateId: 'upgrade-after-term-end',
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await updateAdmitted(id, runId, 'upgrade-after-term-end'); // the server holds it before a worker takes the task
      await t.startWorker();
      upgrade = await (await pending).result();
    } finally {
      await t.startWorker();
    }

    // The precondition: timer and update were handled in the same workflow task.
    const events = (await t.env.client.workflow.getHandle(workflowIdFor(id), runId).fetchHistory()).events!;
    const accepted = events.findIndex(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId === 'upgrade-after-term-end',
    );
    const fired = events.findIndex((e) => e.timerFiredEventAttributes);
    expect(fired).toBeGreaterThan(0);
    expect(events.slice(fired, accepted).filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);

    const s = await t.state(id);
    expect(s.workspace).toMatchObject({ termIndex: 1, plan: 'growth' });
    expect(upgrade).toMatchObject({ effective: 'immediately', currentPlan: 'growth', balance: { plan: 1000 } });
    expect(await t.balances(id)).toMatchObject({ term_index: 1, plan_balance: 1000 });
    const [invoice] = await upgradeInvoices(id);
    expect(invoice).toMatchObject({ status: 'paid' });
    expect(invoice!.period_end.getTime()).toBe(s.workspace.termEnd); // the rest of the new term
    const renewals = (await t.invoices(id)).filter((i) => i.kind === 'renewal');
    expect(renewals.map((i) => [i.status, i.subtotal_cents])).toEqual([['paid', 2900], ['paid', 2900]]); // the new term renewed as Pro
  });

  it('while the renewal step is blocked: 409 renewal_pending, nothing charged; after the renewal the upgrade applies to the new term', async () => {
    const id = 'upgrade-during-blocked-renewal';
    await t.create({ id, plan: 'pro', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state(id);
    const block = await blockRenewal(t);
    try {
      await t.sleepUntil(workspace.termEnd + 60_000);
      await t.waitFor(id, () => block.refusals() === 1, 'renewal blocked');
      const chargesBefore = chargesOf(id).length;

      await expect(t.workflows.changePlan(id, { plan: 'growth' })).rejects.toMatchObject({ code: 'renewal_pending' });
      expect(await upgradeInvoices(id)).toEqual([]);
      expect(chargesOf(id)).toHaveLength(chargesBefore);
      expect((await t.balances(id))!.plan_balance).toBe(100);

      block.unblock(); // ops fixed the cause: the next retry of the step renews
      await t.sleepUntil(workspace.termEnd + 2 * HOUR);
      await t.waitFor(id, (x) => x.workspace.termIndex === 1, 'renewal after the block');
      const upgrade = await t.workflows.changePlan(id, { plan: 'growth' });
      expect(upgrade).toMatchObject({ effective: 'immediately', currentPlan: 'growth', balance: { plan: 1000 } });
      const [invoice] = await upgradeInvoices(id);
      expect(invoice).toMatchObject({ status: 'paid' });
      expect(invoice!.period_end.getTime()).toBe((await t.state(id)).workspace.termEnd);
    } finally {
      await block.restore();
    }
  });
});
