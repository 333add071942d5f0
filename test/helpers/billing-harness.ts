// A complete billing stack on the time-skipping Temporal server (installed
// binary): the real workflow bundle, the real activities against a Postgres
// database and the Stripe-compatible sandbox over HTTP. Free of vitest, so
// scripts (benchmarks) use it as the workflow tests do (test/helpers/billing-env.ts).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createActivities, type BillingActivities } from '../../activities';
import { loadPricing } from '../../src/config/pricing';
import { createPool, type Pool } from '../../src/db/pool';
import type { CreateWorkspaceRequest } from '../../src/domain/workspace';
import { checkAndDebit } from '../../src/ledger/check-and-debit';
import { createStripeClient } from '../../src/payments/stripe-client';
import { StripeSandbox, type StripeSandboxOptions } from '../../src/stripe-sandbox/server';
import { BillingWorkflows } from '../../src/temporal/billing-client';
import { workflowsPath } from '../../src/temporal/worker';
import type { WorkspaceBillingView } from '../../workflows/definitions';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { bundleWorkflows, createTimeSkippingEnv } from './temporal';
import { terminateWhenQuiet } from './terminate-when-quiet';


export const DAY = 86_400_000;
export const pricing = loadPricing();

export interface BillingHarnessOptions {
  /** A migrated database. */
  databaseUrl: string;
  poolSize?: number;
  /**
   * Keep workflows in the worker's sticky cache, as a production worker does.
   * Off by default: every workflow task then replays the history from the start
   * (a determinism check for free), and a replaced worker never leaves tasks
   * waiting on a dead worker's sticky queue.
   */
  stickyCache?: boolean;
  /** Options of the Stripe sandbox (e.g. a fixed port, for fault tests that restart it). */
  sandbox?: StripeSandboxOptions;
  /** The workflow code already bundled (the test run's, test/setup/workflow-bundle.ts); bundled here when absent. */
  workflowBundle?: WorkflowBundleOption;
}

/** The API's workflow client, noting every workspace a test creates (BillingHarness.endWorkspaces ends them). */
class NotingWorkflows extends BillingWorkflows {
  readonly created = new Set<string>();

  override createWorkspace(req: CreateWorkspaceRequest, opts: { anchorAt?: number } = {}) {
    this.created.add(req.id);
    return super.createWorkspace(req, opts);
  }
}

export class BillingHarness {
  readonly taskQueue = `billing-test-${process.pid}`;
  readonly workflows: NotingWorkflows;
  readonly outboxDir = mkdtempSync(path.join(os.tmpdir(), 'invoice-outbox-'));
  private worker: Worker | null = null;
  private workerRun: Promise<void> | null = null;
  private usageSeq = 0;

  private constructor(
    readonly env: TestWorkflowEnvironment,
    readonly bundle: WorkflowBundleOption,
    readonly pool: Pool,
    readonly sandbox: StripeSandbox,
    private readonly stickyCache: boolean,
  ) {
    this.workflows = new NotingWorkflows(env.client, this.taskQueue);
  }

  static async create(opts: BillingHarnessOptions): Promise<BillingHarness> {
    const env = await createTimeSkippingEnv();
    await registerSearchAttributes(env.connection, env.namespace ?? 'default');
    const bundle = opts.workflowBundle ?? (await bundleWorkflows(workflowsPath));
    const pool = createPool(opts.databaseUrl, opts.poolSize ?? 10);
    const sandbox = await StripeSandbox.start(opts.sandbox);
    const t = new BillingHarness(env, bundle, pool, sandbox, opts.stickyCache ?? false);
    await t.startWorker();
    return t;
  }

  /** The real activities; `stripe` replaces the client (e.g. one a test listens to). */
  realActivities(stripe = createStripeClient({ secretKey: 'sk_test_workflow_tests', apiBase: this.sandbox.url })): BillingActivities {
    return createActivities({
      pool: this.pool,
      pricing: () => pricing,
      stripe,
      outboxDir: this.outboxDir,
      publicBaseUrl: 'https://billing.test',
      seller: { name: 'Test Seller Inc.', address: ['1 Test Street', 'Testville'] },
    });
  }

  /** (Re)starts the worker, optionally with wrapped activities (crash injection). */
  async startWorker(activities: BillingActivities = this.realActivities()): Promise<void> {
    await this.stopWorker();
    this.worker = await Worker.create({
      connection: this.env.nativeConnection,
      namespace: this.env.namespace ?? 'default',
      taskQueue: this.taskQueue,
      workflowBundle: this.bundle,
      activities,
      ...(this.stickyCache ? {} : { maxCachedWorkflows: 0 }),
    });
    this.workerRun = this.worker.run();
  }

  /** The current worker's state (a diagnosis of a hang). */
  workerState(): string {
    return this.worker?.getState() ?? 'none';
  }

  async stopWorker(): Promise<void> {
    if (!this.worker) return;
    if (this.worker.getState() === 'RUNNING') this.worker.shutdown();
    await this.workerRun;
    this.worker = null;
  }

  async teardown(): Promise<void> {
    await this.stopWorker();
    await this.sandbox.close();
    await this.pool.end();
    await this.env.teardown();
  }

  now(): Promise<number> {
    return this.env.currentTimeMs();
  }

  /**
   * Terminates the workflows of the workspaces created so far that still run.
   * The tests of a file share one virtual clock: without this, every later
   * time skip also runs the renewals and dunning retries of earlier tests'
   * workspaces (each a series of workflow tasks), several times the work of
   * the test itself, and slow tests time out on a loaded machine.
   */
  async endWorkspaces(): Promise<void> {
    for (const id of this.workflows.created) {
      if (!(await terminateWhenQuiet(this.env, id, 'the test that created it has finished'))) {
        console.warn(`endWorkspaces: ${id} was terminated with work pending; later time skips of this file may run in real time`);
      }
    }
    this.workflows.created.clear();
  }

  /** Advances virtual time to `at` (timers fire on the way). */
  async sleepUntil(at: number): Promise<void> {
    const ms = at - (await this.now());
    if (ms > 0) await this.env.sleep(ms);
  }

  state(workspaceId: string): Promise<WorkspaceBillingView> {
    return this.workflows.state(workspaceId);
  }

  /** Polls the workflow's state until `check` holds (activities run in real time). */
  async waitFor(
    workspaceId: string,
    check: (s: WorkspaceBillingView) => boolean,
    what = 'condition',
    opts: { attempts?: number; pollMs?: number } = {},
  ): Promise<WorkspaceBillingView> {
    let last: WorkspaceBillingView | undefined;
    const { attempts = 300, pollMs = 50 } = opts;
    for (let i = 0; i < attempts; i++) {
      try {
        last = await this.state(workspaceId);
        if (check(last)) return last;
      } catch {
        /* between runs of a continue-as-new chain the query may miss; try again */
      }
      await sleep(pollMs);
    }
    throw new Error(`timed out waiting for ${what}; last state: ${JSON.stringify(last?.workspace)}`);
  }

  async create(overrides: Partial<CreateWorkspaceRequest> & { id: string }, opts: { anchorAt?: number } = {}): Promise<void> {
    const req: CreateWorkspaceRequest = {
      name: `Workspace ${overrides.id}`,
      billingEmail: 'finance@example.com',
      billingAddress: { country: 'US', region: 'CA' },
      plan: 'free',
      ...overrides,
    };
    await this.workflows.createWorkspace(req, opts);
  }

  /** One usage request through the real check-and-debit transaction. */
  use(workspaceId: string, opts: { action?: string; tokens?: number; alreadyPerformed?: boolean } = {}) {
    this.usageSeq += 1;
    return checkAndDebit(this.pool, pricing, {
      workspaceId,
      idempotencyKey: `use-${this.usageSeq}`,
      memberId: `member-${this.usageSeq % 3}`,
      action: opts.action ?? 'chat_question',
      feature: 'chat',
      ...(opts.tokens !== undefined ? { tokens: opts.tokens } : {}),
      ...(opts.alreadyPerformed ? { alreadyPerformed: true } : {}),
    });
  }

  /** Uses `n` one-credit queries; returns how many were charged. */
  async useCredits(workspaceId: string, n: number): Promise<number> {
    let ok = 0;
    for (let i = 0; i < n; i++) if ((await this.use(workspaceId)).ok) ok++;
    return ok;
  }

  /** The workspace's card on file starts behaving like `testCard` (default: its charges now succeed). */
  async cardNowBehavesLike(workspaceId: string, testCard = 'pm_card_visa'): Promise<void> {
    const { rows } = await this.pool.query<{ payment_method: string }>(`SELECT payment_method FROM workspaces WHERE id = $1`, [workspaceId]);
    this.sandbox.setCardBehaviour(rows[0]!.payment_method, testCard);
  }

  async balances(workspaceId: string) {
    const { rows } = await this.pool.query<{ plan_balance: number; purchased_balance: number; overage_used: number; term_index: number }>(
      `SELECT plan_balance, purchased_balance, overage_used, term_index FROM credit_balances WHERE workspace_id = $1`,
      [workspaceId],
    );
    return rows[0];
  }

  async invoices(workspaceId: string) {
    const { rows } = await this.pool.query<{
      id: string; number: string; kind: string; status: string; total_cents: number; subtotal_cents: number;
      period_start: Date; period_end: Date; business_key: string;
    }>(
      `SELECT id, number, kind, status, total_cents, subtotal_cents, period_start, period_end, business_key
       FROM invoices WHERE workspace_id = $1 ORDER BY issued_at, number`,
      [workspaceId],
    );
    return rows;
  }

  async invoiceLines(invoiceId: string) {
    const { rows } = await this.pool.query<{ kind: string; quantity: number; amount_cents: number; description: string }>(
      `SELECT kind, quantity, amount_cents, description FROM invoice_lines WHERE invoice_id = $1 ORDER BY position`,
      [invoiceId],
    );
    return rows;
  }
}
