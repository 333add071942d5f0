// A continue-as-new input written by a newer build than this worker's (an old
// worker during a rolling restart, or a rollback): the workflow task fails
// and is retried, the workflow stays running for a newer worker to pick up.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { initialState, STATE_VERSION, type WorkspaceBillingInput } from '../../workflows/state';
import { createTimeSkippingEnv } from '../helpers/temporal';

let env: TestWorkflowEnvironment;
const taskQueue = 'newer-state';

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

describe('a state from a newer build', () => {
  it('fails the workflow task (retried), not the workflow', async () => {
    const request = { id: 'ws-newer', name: 'Acme', billingEmail: 'billing@acme.test', plan: 'pro' } as Parameters<typeof initialState>[0];
    const state = { ...initialState(request, Date.UTC(2026, 0, 10)), phase: 'subscribed' as const, stateVersion: STATE_VERSION + 1 };
    const input: WorkspaceBillingInput = { kind: 'continue', state };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') } });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('workspaceBilling', { taskQueue, workflowId: 'newer-state', args: [input] });
      const failedTask = await vi.waitFor(
        async () => {
          const { events } = await handle.fetchHistory();
          const failed = events!.find((e) => e.workflowTaskFailedEventAttributes);
          if (!failed) throw new Error('no workflow task failed yet');
          return failed.workflowTaskFailedEventAttributes!;
        },
        { timeout: 60_000, interval: 200 },
      );
      expect(failedTask.failure?.message).toContain(`state version ${STATE_VERSION + 1} is newer than this build's ${STATE_VERSION}`);
      // A task failure, not an ApplicationFailure: nothing was decided and the run waits for a newer worker.
      expect(failedTask.failure?.applicationFailureInfo ?? null).toBeNull();
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('test done');
    });
  });
});
