// Webhook events as Stripe sends them: an `event` object POSTed as JSON with
// a `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.payload">`
// header keyed by the endpoint secret. Delivery is retried a bounded number
// of times with backoff, in the background, in order of creation.
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from './objects';

export interface WebhookTarget {
  url: string;
  secret: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

export interface DeliveryRecord {
  eventId: string;
  type: string;
  url: string;
  attempt: number;
  status: number | null;
  error: string | null;
}

/** The header Stripe puts on a webhook POST. */
export function signPayload(payload: string, secret: string, timestampSeconds = Math.floor(Date.now() / 1000)): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

export function makeEvent(type: string, object: object, apiVersion: string, request: StripeEvent['request']): StripeEvent {
  return {
    id: newId('evt'),
    object: 'event',
    api_version: apiVersion,
    created: Math.floor(Date.now() / 1000),
    data: { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: 1,
    request,
    type,
  };
}

export class WebhookSender {
  target: WebhookTarget | null = null;
  readonly deliveries: DeliveryRecord[] = [];
  /** Event types that are sent; others are kept but not delivered (like an endpoint's enabled_events). */
  enabledTypes: string[] = ['payment_intent.succeeded', 'payment_intent.payment_failed', 'payment_intent.requires_action'];
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly maxAttempts = 5,
    private readonly backoffMs = 200,
  ) {}

  /** Queues an event for delivery to the current target (if any). */
  send(event: StripeEvent): void {
    const target = this.target;
    if (!target || !this.enabledTypes.includes(event.type)) return;
    this.queue = this.queue.then(() => this.deliver(event, target));
  }

  /** Resolves once every queued delivery has succeeded or given up. */
  idle(): Promise<void> {
    return this.queue;
  }

  private async deliver(event: StripeEvent, target: WebhookTarget): Promise<void> {
    const payload = JSON.stringify(event, null, 2);
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      const record: DeliveryRecord = { eventId: event.id, type: event.type, url: target.url, attempt, status: null, error: null };
      this.deliveries.push(record);
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signPayload(payload, target.secret), 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        record.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
      } catch (err) {
        record.error = err instanceof Error ? err.message : String(err);
      }
      if (attempt < this.maxAttempts) await sleep(this.backoffMs * 2 ** (attempt - 1));
    }
  }
}
