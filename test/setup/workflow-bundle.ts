// Global setup of the tiers that run the billing workflow: webpack bundles
// workflows/ once per run (seconds of CPU each time) into a temp file, and
// every worker and replay loads it with `workflowBundle: { codePath }`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { workflowsPath } from '../../src/temporal/worker';
import { bundleWorkflows } from '../helpers/bundle';
import { sharedOnce } from './shared-once';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The billing workflow code (workflows/index.ts), bundled for this run. */
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const { value: codePath, release } = await sharedOnce('workflow-bundle', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'billing-workflow-bundle-'));
    const codePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(codePath, (await bundleWorkflows(workflowsPath)).code);
    return { value: codePath, stop: async () => rmSync(dir, { recursive: true, force: true }) };
  });
  project.provide('workflowBundlePath', codePath);
  return release;
}
