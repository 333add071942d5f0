// Recorded histories travel as JSON (scripts/record writes them with
// historyToJSON, test/workflow/replay.test.ts reads them with historyFromJSON):
// a history round-trips through that JSON and still replays, with the
// protobufjs our package.json pins.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows, createTimeSkippingEnv } from '../helpers/temporal';
import { waitThirtyDays } from './fixtures/retention-probe';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([
    createTimeSkippingEnv(),
    bundleWorkflows(fileURLToPath(new URL('./fixtures/retention-probe.ts', import.meta.url))),
  ]);
});
afterAll(async () => {
  await env?.teardown();
});

describe('replay helpers', () => {
  it('a recorded history round-trips through JSON and replays (protobufjs is not broken)', async () => {
    const { historyFromJSON, historyToJSON } = await import('@temporalio/common/lib/proto-utils');
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'harness-replay', workflowBundle: bundle });
    const workflowId = `probe-replay-${Date.now()}`;
    await worker.runUntil(env.client.workflow.execute(waitThirtyDays, { taskQueue: 'harness-replay', workflowId }));
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const json = historyToJSON(history);
    expect(json).toContain('WORKFLOW_EXECUTION_COMPLETED');
    await Worker.runReplayHistory({ workflowBundle: bundle }, historyFromJSON(JSON.parse(json)), workflowId);
  });
});
