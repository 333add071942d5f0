// The real system the model checker drives, in this process: the billing
// workflow and real activities on the time-skipping Temporal server, Postgres,
// the Stripe sandbox (with its fault controls) and the HTTP API on app.inject.
// Free of vitest, so the CLI (npm run check:model) uses it as the test does.
import type { BillingActivities } from '../../activities';
import { buildApp, type App } from '../../src/http/app';
import { apiRoutes } from '../../src/http/api-routes';
import { signPayload } from '../../src/stripe-sandbox/webhooks';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingHarness, pricing } from '../helpers/billing-harness';
import type { ApiCall } from '../helpers/http';
import { injectClient } from '../helpers/inject-client';

const TOKENS = { api: 'bk_model_full', read: 'bk_model_read' };
const WEBHOOK_SECRET = 'whsec_model_checker';

export class ModelSystem {
  /** Arms a worker restart: the next activity to start shuts its worker down and a new one takes over. */
  restartArmed = false;
  restarts = 0;
  private restarting: Promise<void> | null = null;

  private parts!: { h: BillingHarness; app: App; call: ApiCall };

  private constructor(
    private readonly databaseUrl: string,
    private readonly workflowBundlePath: string,
  ) {}

  get h(): BillingHarness {
    return this.parts.h;
  }
  get app(): App {
    return this.parts.app;
  }
  get call(): ApiCall {
    return this.parts.call;
  }

  static async start(databaseUrl: string, workflowBundlePath: string): Promise<ModelSystem> {
    const sys = new ModelSystem(databaseUrl, workflowBundlePath);
    await sys.build();
    return sys;
  }

  /** A new time-skipping server, worker, sandbox and API on the same database. */
  private async build(): Promise<void> {
    const h = await BillingHarness.create({ databaseUrl: this.databaseUrl, workflowBundle: { codePath: this.workflowBundlePath }, poolSize: 8 });
    const app = await buildApp({
      tokens: TOKENS,
      routes: apiRoutes({ pool: h.pool, pricing, workflows: h.workflows, temporalHealthy: async () => undefined, webhookSecret: WEBHOOK_SECRET }),
    });
    this.parts = { h, app, call: injectClient(app, TOKENS.api) };
    await h.startWorker(this.activities());
  }

  /**
   * Replaces the whole system with a new one (nothing of the old one's
   * workspaces is used again: each sequence has its own). For a test server
   * that stopped skipping time; see timeStillSkips.
   */
  async renew(): Promise<void> {
    await this.teardown();
    await this.build();
  }

  /** The real activities, each first checking whether a worker restart is armed. */
  private activities(): BillingActivities {
    const real = this.h.realActivities();
    return Object.fromEntries(
      Object.entries(real).map(([name, fn]) => [
        name,
        async (...args: unknown[]) => {
          const step = (fn as (...a: unknown[]) => Promise<unknown>)(...args);
          if (!this.restartArmed) return step;
          this.restartArmed = false;
          // Shut this worker down while the step runs (not awaited here: shutdown waits for it),
          // and lose the step's answer once its effect is committed, as a worker killed right
          // then would: the new worker runs the step again, which must change nothing.
          this.restarting = this.restartWorker();
          await step;
          throw new Error(`the model checker restarted the worker after ${name} committed; its answer is lost`);
        },
      ]),
    ) as unknown as BillingActivities;
  }

  private async restartWorker(): Promise<void> {
    this.restarts += 1;
    await this.h.startWorker(this.activities());
  }

  /** Waits for a worker restart under way. */
  async restartsDone(): Promise<void> {
    while (this.restarting) {
      const r = this.restarting;
      await r;
      if (this.restarting === r) this.restarting = null;
    }
  }

  now(): Promise<number> {
    return this.h.now();
  }

  async advanceTo(at: number): Promise<void> {
    await this.h.sleepUntil(at);
  }

  /** A Stripe webhook as Stripe signs it, straight into the API. */
  async webhook(event: object): Promise<number> {
    const payload = JSON.stringify(event);
    const res = await this.app.inject({
      method: 'POST',
      url: '/v1/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': signPayload(payload, WEBHOOK_SECRET) },
      payload,
    });
    return res.statusCode;
  }

  /** The workspace's workflow: running activities, and whether a step shows blocked. */
  async workflowActivity(workspaceId: string): Promise<{ running: boolean; pendingActivities: number; blocked: boolean } | null> {
    try {
      const d = await this.h.env.client.workflow.getHandle(workflowIdFor(workspaceId)).describe();
      const raw = await this.h.env.client.workflowService.describeWorkflowExecution({
        namespace: this.h.env.namespace ?? 'default',
        execution: { workflowId: workflowIdFor(workspaceId) },
      });
      const blocked = d.searchAttributes?.BillingBlocked?.[0] === true;
      return { running: d.status.name === 'RUNNING', pendingActivities: raw.pendingActivities?.length ?? 0, blocked };
    } catch {
      return null;
    }
  }

  /**
   * Whether time skipping still skips: an hour's sleep must end at once when
   * nothing runs. A lock the test server kept (a terminated workflow's task)
   * makes every later advance run in real time; found here, the sequence that
   * leaked it is reported instead of the next one hanging.
   */
  async timeStillSkips(): Promise<boolean> {
    const before = await this.now();
    const slept = this.h.env.sleep(3_600_000).then(() => true, () => false); // rejected when the server is replaced
    const ok = await Promise.race([slept, new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    return ok && (await this.now()) - before >= 3_600_000;
  }

  /** What a stuck command may be waiting on (the watchdog prints it). */
  async diagnose(workspaceId: string): Promise<string> {
    const t0 = await this.now();
    await new Promise((r) => setTimeout(r, 1000));
    const t1 = await this.now();
    const parts = [
      `worker ${this.h.workerState()}, restart ${this.restarting ? 'under way' : 'none'} (${this.restarts} so far), armed ${this.restartArmed}`,
      `virtual time ${new Date(t1).toISOString()}, moved ${t1 - t0} ms in 1 s of real time`,
    ];
    try {
      const raw = await this.h.env.client.workflowService.describeWorkflowExecution({
        namespace: this.h.env.namespace ?? 'default',
        execution: { workflowId: workflowIdFor(workspaceId) },
      });
      const info = raw.workflowExecutionInfo;
      parts.push(
        `workflow status ${String(info?.status)}, history length ${String(info?.historyLength)}, ` +
          `pending workflow task ${JSON.stringify(raw.pendingWorkflowTask ?? null)}, ` +
          `pending activities ${JSON.stringify((raw.pendingActivities ?? []).map((a) => ({ type: a.activityType?.name, state: a.state, attempt: a.attempt, failure: a.lastFailure?.message })))}`,
      );
    } catch (err) {
      parts.push(`workflow: ${String(err)}`);
    }
    return parts.join('\n  ');
  }

  async teardown(): Promise<void> {
    await this.restartsDone();
    await this.app.close();
    await this.h.teardown();
  }
}
