// Calls to a workflow run that has ended (a purged workspace, a refused
// sign-up) fail with SDK error types that workflowFailureOf turns into
// not_found, on a real Temporal server: no message text is read.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedError } from '../../src/domain/failure-codes';
import { workflowFailureOf } from '../../src/temporal/workflow-failures';
import { bundleWorkflows, createTimeSkippingEnv } from '../helpers/temporal';
import { endingWorkflow, endUpdate, pingSignal, pingUpdate, waitForeverUpdate } from './fixtures/ending-workflow';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
const taskQueue = 'ending-workflow';

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  bundle = await bundleWorkflows(fileURLToPath(new URL('./fixtures/ending-workflow.ts', import.meta.url)));
});
afterAll(async () => {
  await env?.teardown();
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => workflowFailureOf(err, 'ws-ended'),
  );

describe('calls to a workflow that has ended', () => {
  it('an update or a signal after the run completed is not_found', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(endingWorkflow, { taskQueue, workflowId: 'ended-then-called' });
      await handle.executeUpdate(endUpdate);
      await handle.result();
      // One call at a time: a call started before the previous one is awaited would reject unobserved.
      for (const call of [() => handle.executeUpdate(pingUpdate), () => handle.signal(pingSignal)]) {
        const err = await failureOf(call());
        expect(err).toBeInstanceOf(CodedError);
        expect(err).toMatchObject({ code: 'not_found' });
      }
    });
  });

  it('an update the run accepted and never answered before it ended is not_found (deleted)', async () => {
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(endingWorkflow, { taskQueue, workflowId: 'ended-while-updating' });
      const waiting = await handle.startUpdate(waitForeverUpdate, { waitForStage: 'ACCEPTED' });
      await handle.executeUpdate(endUpdate);
      await handle.result();
      const err = await failureOf(waiting.result());
      expect(err).toBeInstanceOf(CodedError);
      expect(err).toMatchObject({ code: 'not_found', message: "workspace 'ws-ended' was deleted" });
    });
  });
});
