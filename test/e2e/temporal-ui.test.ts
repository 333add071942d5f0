// How ops find a workspace: headless Chromium on the dev server's Temporal UI,
// filtering workflows by the BillingWorkspaceId search attribute and opening
// the workspace's workflow to read its current details.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPaths } from '../../src/state-dir';
import { workflowIdFor } from '../../workflows/definitions';
import { apiClient, workspaceBody } from '../helpers/http';
import { artifactsDir } from '../helpers/pdf';
import { startStack, type Stack } from '../helpers/stack';
import { uniqueId } from '../helpers/workspaces';

let stack: Stack;
let browser: BrowserContext;
let page: Page;
let profileDir: string;
const id = uniqueId('ui');
const otherId = uniqueId('ui-other');

beforeAll(async () => {
  stack = await startStack();
  const call = apiClient(stack.api, stack.tokens.api);
  for (const ws of [id, otherId]) expect((await call('POST', '/v1/workspaces', { body: workspaceBody(ws) })).status).toBe(201);
  profileDir = mkdtempSync(path.join(os.tmpdir(), 'billing-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: toolPaths().chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1440, height: 1000 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});
afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await stack?.stop();
});

async function screenshot(name: string) {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: path.join(artifactsDir, `${name}.png`), fullPage: true });
}

describe('the Temporal UI (dev server) shows ops a workspace', () => {
  it('filters workflows by BillingWorkspaceId', async () => {
    const query = encodeURIComponent(`BillingWorkspaceId="${id}"`);
    await page.goto(`${stack.temporal.uiUrl}/namespaces/${stack.temporal.namespace}/workflows?query=${query}`);
    const link = page.getByRole('link', { name: workflowIdFor(id), exact: true });
    await link.waitFor();
    await screenshot('temporal-ui-workflows-filtered');
    expect(await page.getByText(workflowIdFor(otherId)).count()).toBe(0);
  });

  it("opens the workspace's workflow and reads its current details, kept current by the workflow", async () => {
    await page.getByRole('link', { name: workflowIdFor(id), exact: true }).click();
    await page.getByText('User Metadata', { exact: true }).click();
    // The UI renders the markdown set by setCurrentDetails in its own iframe (Temporal UI 2.54).
    const details = page.frameLocator('iframe#user-metadata-current-details');
    await details.getByText(`${id}: free plan, active`).waitFor();
    await details.getByText(/on-demand used 0 \(off\)|On-demand: off/).waitFor(); // the account at a glance (workflows/account-glance.ts)
    await screenshot('temporal-ui-workflow-details');

    const cancelled = await apiClient(stack.api, stack.tokens.api)('POST', `/v1/workspaces/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    await page.reload();
    await details.getByText(`Cancels at ${cancelled.body.cancelAt}`).waitFor();
    await screenshot('temporal-ui-workflow-details-cancelled');
  });
});
