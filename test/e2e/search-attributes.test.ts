// The worker's start-up registration of our search attributes (SPEC section
// 6), on a Temporal dev server started without them, as a self-hosted
// cluster would be.
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toolPaths } from '../../src/state-dir';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { billingSearchAttributes } from '../../workflows/search-attributes';
import { freePort } from '../setup/free-port';

const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_DATETIME: DATETIME, INDEXED_VALUE_TYPE_BOOL: BOOL } = temporal.api.enums.v1.IndexedValueType;
let dev: DevServer;
let connection: Connection;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'billing-sa-'));
  dev = await startDevServer({
    cli: toolPaths().temporalCli!,
    stateDir: dir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    searchAttributes: {},
  });
  connection = await Connection.connect({ address: dev.address });
});
afterAll(async () => {
  await connection?.close();
  await dev?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('registerSearchAttributes at worker start-up', () => {
  it('adds the missing attributes with their types once; the next start adds nothing', async () => {
    const list = async () => (await connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes;
    expect(Object.keys(await list())).not.toContain('BillingWorkspaceId');

    const names = Object.keys(billingSearchAttributes).sort();
    expect((await registerSearchAttributes(connection, 'default')).added.sort()).toEqual(names);
    expect((await registerSearchAttributes(connection, 'default')).added).toEqual([]);

    const after = await list();
    expect(Object.fromEntries(names.map((n) => [n, after[n]]))).toEqual({
      BillingBlocked: BOOL,
      BillingPlan: KEYWORD,
      BillingStatus: KEYWORD,
      BillingTermEnd: DATETIME,
      BillingWorkspaceId: KEYWORD,
    });
  });
});
