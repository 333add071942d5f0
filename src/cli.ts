#!/usr/bin/env -S npx tsx
// Ops CLI: `npm run cli -- <command>`. Talks to the HTTP API (token from
// BILLING_API_TOKEN or the state folder) and, for listing, to Temporal
// visibility, at the addresses `npm start` uses with the same environment
// (src/config/addresses.ts). Tables for people, --json for scripts.
import { Client, Connection } from '@temporalio/client';
import { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cell, fieldRows, invoiceRow } from './cli/readable';
import { resolveAddresses } from './config/addresses';
import { MAX_HISTORY_PAGE } from './http/schemas/usage';
import { workspaceSearchUrl, workspaceWorkflowUrl } from './temporal/ui-links';

interface Globals {
  json?: boolean;
  api: string;
  token?: string;
  temporal: string;
  namespace: string;
  ui?: string;
  stateDir: string;
}

function token(g: Globals): string {
  if (g.token) return g.token;
  if (process.env.BILLING_API_TOKEN) return process.env.BILLING_API_TOKEN;
  const file = path.join(g.stateDir, 'tokens.json');
  if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { api: string }).api;
  throw new Error(`no API token: pass --token, set BILLING_API_TOKEN, or name the state folder of the npm start to talk to (--state-dir or BILLING_STATE_DIR; ${file} does not exist)`);
}

/** A file the user named, from the folder they ran the command in (npm runs scripts from the project root; INIT_CWD is where the user was). */
const userFile = (file: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), file);

async function api(g: Globals, method: string, url: string, body?: unknown): Promise<Response> {
  const res = await fetch(`${g.api}${url}`, {
    method,
    headers: { authorization: `Bearer ${token(g)}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) {
    const text = await res.text();
    let msg = text;
    try {
      const e = JSON.parse(text) as { error: { code: string; message: string } };
      msg = `${e.error.code}: ${e.error.message}`;
    } catch {
      /* not JSON: print as is */
    }
    throw new Error(`${method} ${url} -> ${res.status} ${msg}`);
  }
  return res;
}

const apiJson = async (g: Globals, method: string, url: string, body?: unknown) => (await api(g, method, url, body)).json() as Promise<Record<string, unknown>>;

/** Prints rows as an aligned table, or JSON with --json. */
function output(g: Globals, data: unknown, rows?: Array<Record<string, unknown>>): void {
  if (g.json || !rows) {
    console.log(JSON.stringify(data, null, 2));
    return;
  }
  if (rows.length === 0) {
    console.log('(none)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(cols.map((c) => c.toUpperCase())));
  for (const r of rows) console.log(line(cols.map((c) => cell(r[c]))));
}

const kv = fieldRows;

export function buildCli(): Command {
  const at = resolveAddresses();
  const program = new Command('billing')
    .description('Ops CLI of the credit billing orchestrator')
    .option('--json', 'machine-readable JSON output')
    .option('--api <url>', 'API base URL (BILLING_API_URL, else HOST and PORT)', at.apiUrl)
    .option('--token <token>', 'API bearer token (default: BILLING_API_TOKEN or the state folder)')
    .option('--temporal <address>', 'Temporal frontend (TEMPORAL_ADDRESS, else TEMPORAL_DEV_PORT)', at.temporal.address)
    .option('--namespace <ns>', 'Temporal namespace', at.temporal.namespace)
    .option('--ui <url>', 'Temporal UI base URL (TEMPORAL_UI_URL, else TEMPORAL_UI_PORT)', at.temporal.uiUrl)
    .option('--state-dir <dir>', 'state folder holding tokens.json (BILLING_STATE_DIR)', at.stateDir);
  const g = () => program.opts<Globals>();

  program
    .command('show <workspaceId>')
    .description('state, balance, term, overage, open invoices and the Temporal UI links')
    .action(async (id: string) => {
      const ws = await apiJson(g(), 'GET', `/v1/workspaces/${encodeURIComponent(id)}`);
      const inv = (await apiJson(g(), 'GET', `/v1/workspaces/${encodeURIComponent(id)}/invoices`)) as { invoices?: Array<Record<string, unknown>> };
      const open = (inv.invoices ?? []).filter((i) => i.status !== 'paid' && i.status !== 'void');
      const { ui, namespace } = g();
      const links = ui
        ? { workspaceUrl: workspaceSearchUrl(ui, namespace, id), workflowUrl: workspaceWorkflowUrl(ui, namespace, id) }
        : { workspaceUrl: '(no Temporal UI: pass --ui or set TEMPORAL_UI_URL)' };
      if (g().json) return output(g(), { workspace: ws, openInvoices: open, ...links });
      output(g(), ws, [...fieldRows(ws), ...Object.entries(links).map(([field, value]) => ({ field, value }))]);
      console.log('\nOpen invoices:');
      output(g(), open, open.map(invoiceRow));
    });

  program
    .command('invoices <workspaceId>')
    .description("a workspace's invoices, newest first")
    .option('--limit <n>', 'at most this many', '100')
    .action(async (id: string, opts: { limit: string }) => {
      const q = new URLSearchParams({ limit: opts.limit });
      const r = (await apiJson(g(), 'GET', `/v1/workspaces/${encodeURIComponent(id)}/invoices?${q}`)) as { invoices: Array<Record<string, unknown>> };
      output(g(), r.invoices, r.invoices.map(invoiceRow));
    });

  program
    .command('invoice <invoice>')
    .description('one invoice (by number INV-YYYY-NNNNNN or id) with its lines')
    .action(async (invoice: string) => {
      const r = await apiJson(g(), 'GET', `/v1/invoices/${encodeURIComponent(invoice)}`);
      if (g().json) return output(g(), r);
      const { lines, ...header } = r as { lines: Array<Record<string, unknown>> };
      output(g(), r, kv(header));
      console.log('\nLines:');
      output(g(), lines, lines);
    });

  program
    .command('list')
    .description('workspaces by status and plan, from Temporal visibility')
    .option('--status <status>', 'active, past_due, cancelled, deleted, signing_up or signup_failed (a refused sign-up)')
    .option('--plan <plan>', 'plan id')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: { status?: string; plan?: string; limit: string }) => {
      const clauses = [`WorkflowType = 'workspaceBilling'`];
      const safe = (v: string) => v.replace(/[^A-Za-z0-9_-]/g, '');
      if (opts.status) clauses.push(`BillingStatus = '${safe(opts.status)}'`);
      if (opts.plan) clauses.push(`BillingPlan = '${safe(opts.plan)}'`);
      const connection = await Connection.connect({ address: g().temporal });
      try {
        const client = new Client({ connection, namespace: g().namespace });
        const rows: Array<Record<string, unknown>> = [];
        for await (const wf of client.workflow.list({ query: clauses.join(' AND ') })) {
          const sa = wf.searchAttributes as Record<string, unknown[] | undefined>;
          rows.push({
            workspace: sa.BillingWorkspaceId?.[0] ?? wf.workflowId,
            plan: sa.BillingPlan?.[0],
            status: sa.BillingStatus?.[0],
            termEnd: sa.BillingTermEnd?.[0] instanceof Date ? (sa.BillingTermEnd[0] as Date).toISOString() : sa.BillingTermEnd?.[0],
            execution: wf.status.name,
          });
          if (rows.length >= Number(opts.limit)) break;
        }
        output(g(), rows, rows);
      } finally {
        await connection.close();
      }
    });

  program
    .command('plan <workspaceId> <plan>')
    .description('change plan (upgrade now, downgrade at renewal)')
    .option('--credits <n>', 'enterprise: monthly credits')
    .option('--price-cents <n>', 'enterprise: monthly price in cents')
    .action(async (id: string, plan: string, opts: { credits?: string; priceCents?: string }) => {
      const body: Record<string, unknown> = { plan };
      if (opts.credits || opts.priceCents) {
        body.enterprise = { monthlyCredits: Number(opts.credits ?? 0), monthlyPriceCents: Number(opts.priceCents ?? 0) };
      }
      const r = await apiJson(g(), 'POST', `/v1/workspaces/${encodeURIComponent(id)}/plan`, body);
      output(g(), r, kv(r));
    });

  for (const action of ['cancel', 'resume'] as const) {
    program
      .command(`${action} <workspaceId>`)
      .description(action === 'cancel' ? 'cancel at the end of the term' : 'undo a cancellation or re-subscribe during retention')
      .action(async (id: string) => {
        const r = await apiJson(g(), 'POST', `/v1/workspaces/${encodeURIComponent(id)}/${action}`);
        output(g(), r, kv(r));
      });
  }

  program
    .command('purchase <workspaceId> <credits>')
    .description('buy credits (charged now)')
    .option('--key <idempotencyKey>', 'idempotency key (default: a new one)')
    .action(async (id: string, credits: string, opts: { key?: string }) => {
      const r = await apiJson(g(), 'POST', `/v1/workspaces/${encodeURIComponent(id)}/purchases`, {
        credits: Number(credits),
        idempotencyKey: opts.key ?? `cli-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      });
      output(g(), r, kv(r));
    });

  program
    .command('invoice-pdf <invoice>')
    .description('download an invoice PDF (by number INV-YYYY-NNNNNN or id)')
    .option('-o, --out <file>', 'output file (default: <invoice>.pdf)')
    .action(async (invoiceId: string, opts: { out?: string }) => {
      const res = await api(g(), 'GET', `/v1/invoices/${encodeURIComponent(invoiceId)}/pdf`);
      const file = userFile(opts.out ?? `${invoiceId}.pdf`);
      writeFileSync(file, Buffer.from(await res.arrayBuffer()));
      output(g(), { file }, [{ file }]);
    });

  program
    .command('export-usage <workspaceId>')
    .description('usage history as CSV')
    .option('-o, --out <file>', 'output file (default: stdout)')
    .action(async (id: string, opts: { out?: string }) => {
      const rows: Array<Record<string, unknown>> = [];
      let cursor: string | undefined;
      do {
        const q = new URLSearchParams({ limit: String(MAX_HISTORY_PAGE), ...(cursor ? { cursor } : {}) });
        const page = (await apiJson(g(), 'GET', `/v1/workspaces/${encodeURIComponent(id)}/usage/history?${q}`)) as {
          data?: Array<Record<string, unknown>>;
          nextCursor?: string | null;
        };
        rows.push(...(page.data ?? []));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const cols = ['at', 'memberId', 'action', 'feature', 'tokens', 'credits'];
      const esc = (v: unknown) => {
        const raw = v === null || v === undefined ? '' : String(v);
        // A text cell a spreadsheet would read as a formula (member ids come from the backend) is quoted with '.
        const s = typeof v === 'string' && /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
        return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
      };
      const csv = [cols.join(','), ...rows.map((r) => cols.map((c) => esc(r[c])).join(','))].join('\n') + '\n';
      if (g().json) return output(g(), rows);
      if (opts.out) writeFileSync(userFile(opts.out), csv);
      else process.stdout.write(csv);
    });

  return program;
}

if (process.argv[1] && /cli\.ts$/.test(process.argv[1])) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    });
}
