// Global setup of the tier that checks our Stripe request shapes: the official
// stripe-mock binary, one per run (./shared-once).
import type { TestProject } from 'vitest/node';
import { toolPaths } from '../../src/state-dir';
import { freePort } from './free-port';
import { sharedOnce } from './shared-once';
import { startStripeMock } from './stripe-mock';

declare module 'vitest' {
  export interface ProvidedContext {
    stripeMockPort: number;
  }
}

export default async function setup(project: TestProject) {
  const { value: port, release } = await sharedOnce('stripe-mock', async () => {
    const binary = toolPaths().stripeMock;
    if (!binary) throw new Error('stripe-mock is not installed: run `npm run tools`');
    const mock = await startStripeMock(binary, await freePort());
    return { value: mock.port, stop: () => mock.stop() };
  });
  project.provide('stripeMockPort', port);
  return release;
}
