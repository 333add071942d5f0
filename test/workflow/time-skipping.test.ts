import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorkflows, createTimeSkippingEnv } from '../helpers/temporal';
import { waitThirtyDays } from './fixtures/retention-probe';

const DAY = 86_400_000;
let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
  bundle = await bundleWorkflows(fileURLToPath(new URL('./fixtures/retention-probe.ts', import.meta.url)));
});
afterAll(async () => {
  await env?.teardown();
});

describe('time-skipping harness', () => {
  it('a workflow waits 30 virtual days in seconds of wall time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'harness',
      workflowBundle: bundle,
    });
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(waitThirtyDays, { taskQueue: 'harness', workflowId: `probe-${wallStart}` }),
    );
    const wallMs = Date.now() - wallStart;
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(30 * DAY);
    expect(result.finishedAt - result.startedAt).toBeLessThan(31 * DAY);
    expect(wallMs).toBeLessThan(30 * DAY); // sanity: virtual time, not real time
    console.log(`waited ${(result.finishedAt - result.startedAt) / DAY} virtual days in ${wallMs} ms of wall time`);
  });
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
