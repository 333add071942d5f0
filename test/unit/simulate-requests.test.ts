// A scenario event as the request it sends (without servers: the app only
// records what it is given): the route of each `do`, and the idempotency keys
// generated when a body has none, a new one for each `repeat`.
import { describe, expect, it } from 'vitest';
import type { App } from '../../src/http/app';
import { sendEventRequest } from '../../src/simulate/requests';
import type { ScenarioEvent } from '../../src/simulate/scenario';

interface Sent {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Record<string, unknown> | undefined;
}

function recordingApp(): { app: App; sent: Sent[] } {
  const sent: Sent[] = [];
  const app = {
    inject: async (req: { method: string; url: string; headers: Record<string, string>; payload?: string }) => {
      sent.push({ method: req.method, url: req.url, headers: req.headers, body: req.payload === undefined ? undefined : (JSON.parse(req.payload) as Record<string, unknown>) });
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}', rawPayload: Buffer.from('{"ok":true}') };
    },
  } as unknown as App;
  return { app, sent };
}

const event = (e: Partial<ScenarioEvent>): ScenarioEvent => ({ index: 4, at: 0, workspace: 'acme', do: 'get', repeat: 1, ...e });

async function send(e: ScenarioEvent): Promise<Sent[]> {
  const { app, sent } = recordingApp();
  for (let n = 0; n < e.repeat; n++) expect(await sendEventRequest(app, e, n)).toEqual({ status: 200, body: { ok: true } });
  return sent;
}

describe('scenario requests', () => {
  it('each `do` runs its route', async () => {
    const routes = await Promise.all(
      (
        [
          ['create', { plan: 'free' }],
          ['get'],
          ['usage', { memberId: 'ann', action: 'chat_question', feature: 'chat' }],
          ['purchase', { credits: 1000 }],
          ['plan', { plan: 'growth' }],
          ['cancel'],
          ['resume'],
          ['payment-method', { paymentMethod: 'pm_card_visa' }],
          ['on-demand', { enabled: true, monthlyLimit: 500 }],
          ['feature', { enabled: false }],
          ['export'],
        ] as const
      ).map(async ([d, body]) => {
        const [req] = await send(event({ do: d, ...(body ? { body } : {}), ...(d === 'feature' ? { feature: 'chat' } : {}) }));
        return `${req!.method} ${req!.url}`;
      }),
    );
    expect(routes).toEqual([
      'POST /v1/workspaces',
      'GET /v1/workspaces/acme',
      'POST /v1/workspaces/acme/usage',
      'POST /v1/workspaces/acme/purchases',
      'POST /v1/workspaces/acme/plan',
      'POST /v1/workspaces/acme/cancel',
      'POST /v1/workspaces/acme/resume',
      'PUT /v1/workspaces/acme/payment-method',
      'PUT /v1/workspaces/acme/on-demand',
      'PUT /v1/workspaces/acme/features/chat',
      'GET /v1/workspaces/acme/export',
    ]);
  });

  it('a body without a key gets one per request, from the event position: a repeat sends new keys', async () => {
    const usage = await send(event({ do: 'usage', body: { memberId: 'ann', action: 'chat_question', feature: 'chat' }, repeat: 3 }));
    expect(usage.map((r) => r.body!.idempotencyKey)).toEqual(['sim-e4-0', 'sim-e4-1', 'sim-e4-2']);
    const plan = await send(event({ do: 'plan', body: { plan: 'pro' }, repeat: 2 }));
    expect(plan.map((r) => r.headers['idempotency-key'])).toEqual(['sim-e4-0', 'sim-e4-1']);
    expect(plan[0]!.body).toEqual({ plan: 'pro' });
  });

  it("a body's own key is kept (a retry of an earlier event's request), and repeats of it get keys of their own", async () => {
    const sent = await send(event({ do: 'purchase', body: { credits: 100, idempotencyKey: 'order-7' }, repeat: 2 }));
    expect(sent.map((r) => r.body!.idempotencyKey)).toEqual(['order-7', 'order-7-1']);
    // Routes that take the key as a header get it there, not in their body.
    const [plan] = await send(event({ do: 'plan', body: { plan: 'growth', idempotencyKey: 'upgrade-1' } }));
    expect(plan!.headers['idempotency-key']).toBe('upgrade-1');
    expect(plan!.body).toEqual({ plan: 'growth' });
    const [cancel] = await send(event({ do: 'cancel', body: { idempotencyKey: 'cancel-1' } }));
    expect([cancel!.headers['idempotency-key'], cancel!.body]).toEqual(['cancel-1', undefined]);
  });

  it('a create names the workspace of the event', async () => {
    const [req] = await send(event({ do: 'create', workspace: 'beta', body: { plan: 'free' } }));
    expect(req!.body).toEqual({ plan: 'free', id: 'beta' });
    expect(req!.headers['idempotency-key']).toBe('sim-e4-0');
  });
});
