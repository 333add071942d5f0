// Everything the billing engine stores about a set of workspaces (those whose
// id starts with a prefix the test owns), as plain JSON to compare: every
// table that refers to a workspace, plus the workflows' state. Other test
// files share the database, so nothing outside the prefix is looked at.
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { isDeepStrictEqual } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../../src/db/pool';
import type { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowIdFor } from '../../workflows/definitions';

const rows = (from: string, order: string) =>
  `(SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY ${order}), '[]') FROM (${from}) t)`;
const owned = (column: string) => `starts_with(${column}, $1)`;

// One statement, so the tables are read at one instant.
const SNAPSHOT_SQL = `SELECT jsonb_build_object(
  'workspaces', ${rows(`SELECT * FROM workspaces WHERE ${owned('id')}`, 'id')},
  'credit_balances', ${rows(`SELECT * FROM credit_balances WHERE ${owned('workspace_id')}`, 'workspace_id')},
  'credit_ledger', ${rows(`SELECT * FROM credit_ledger WHERE ${owned('workspace_id')}`, 'id')},
  'usage_events', ${rows(`SELECT * FROM usage_events WHERE ${owned('workspace_id')}`, 'id')},
  'ledger_operations', ${rows(`SELECT * FROM ledger_operations WHERE ${owned('workspace_id')}`, 'workspace_id, key')},
  'invoices', ${rows(`SELECT i.*, md5(i.pdf) AS pdf FROM invoices i WHERE ${owned('workspace_id')}`, 'id')},
  'invoice_lines', ${rows(`SELECT l.* FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id WHERE ${owned('i.workspace_id')}`, 'invoice_id, position')},
  'payment_attempts', ${rows(`SELECT a.* FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id WHERE ${owned('i.workspace_id')}`, 'invoice_id, attempt')},
  'outbox_events', ${rows(`SELECT * FROM outbox_events WHERE ${owned('workspace_id')}`, 'id')},
  'stripe_webhook_events', ${rows(`SELECT * FROM stripe_webhook_events WHERE ${owned('workspace_id')}`, 'event_id')}
) AS snapshot`;

export type DbSnapshot = Record<string, unknown[]>;

/** The rows of every workspace table for the workspaces whose id starts with `prefix`. */
export async function dbSnapshot(pool: Pool, prefix: string): Promise<DbSnapshot> {
  const { rows: [row] } = await pool.query<{ snapshot: DbSnapshot }>(SNAPSHOT_SQL, [prefix]);
  return row!.snapshot;
}

/** Per table that differs between two snapshots, the rows only one of them has (a changed row is in both lists). */
export function snapshotDiff(before: DbSnapshot, after: DbSnapshot): Record<string, { gone: unknown[]; new: unknown[] }> {
  const diff: Record<string, { gone: unknown[]; new: unknown[] }> = {};
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [b, a] = [before[table] ?? [], after[table] ?? []];
    if (isDeepStrictEqual(b, a)) continue;
    diff[table] = { gone: b.filter((row) => !a.some((r) => isDeepStrictEqual(r, row))), new: a.filter((row) => !b.some((r) => isDeepStrictEqual(r, row))) };
  }
  return diff;
}

/** Each workflow's queried state (without the static pricing catalog); null for a workflow that does not exist. */
export async function workflowStates(workflows: BillingWorkflows, ids: readonly string[]): Promise<Record<string, unknown>> {
  const states: Record<string, unknown> = {};
  for (const id of ids) {
    try {
      const { pricing: _pricing, ...state } = await workflows.state(id);
      states[id] = state;
    } catch (err) {
      if ((err as { code?: string }).code !== 'not_found') throw err;
      states[id] = null;
    }
  }
  return states;
}

/** Whether a workflow has work in flight (an activity or a workflow task); false when it does not exist. */
export async function busy(client: Client, id: string): Promise<boolean> {
  try {
    const { raw } = await client.workflow.getHandle(workflowIdFor(id)).describe();
    return (raw.pendingActivities?.length ?? 0) > 0 || Boolean(raw.pendingWorkflowTask);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Waits until the workspaces' workflows are idle and their rows stopped
 * changing (an accepted update may still deliver an invoice after it
 * answered), and returns that snapshot.
 */
export async function settledSnapshot(pool: Pool, client: Client, prefix: string, timeoutMs = 15_000): Promise<DbSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let previous: DbSnapshot | null = null;
  for (;;) {
    const ids = ((await dbSnapshot(pool, prefix)).workspaces as Array<{ id: string }>).map((w) => w.id);
    const anyBusy = (await Promise.all(ids.map((id) => busy(client, id)))).some(Boolean);
    const snapshot = await dbSnapshot(pool, prefix);
    if (!anyBusy && previous && isDeepStrictEqual(previous, snapshot)) return snapshot;
    if (Date.now() > deadline) throw new Error(`the state of ${prefix}* did not settle within ${timeoutMs} ms`);
    previous = snapshot;
    await sleep(50);
  }
}
