// POST /v1/stripe/webhook (SPEC section 5): Stripe-signed events, verified on
// the raw body with the endpoint secret, de-duplicated by event id, and routed
// to the workspace's workflow as a payment signal. Answers 2xx only once the
// signal is delivered, so Stripe redelivers anything we could not route; the
// event is recorded before the signal and no transaction waits on Temporal. An
// event for a workspace that has no workflow (never created here, or purged)
// can never be delivered: it is recorded and acknowledged, not refused, so
// Stripe does not retry it for days (and disable the endpoint).
import Stripe from 'stripe';
import Type from 'typebox';
import type { Pool } from '../../db/pool';
import type { PaymentSignal } from '../../domain/payment-signal';
import type { App } from '../app';
import { CodedError } from '../../domain/failure-codes';
import { claimEvent, markDelivered, releaseClaim } from './stripe-webhook-events';

export interface StripeWebhookDeps {
  pool: Pool;
  webhookSecret: string;
  /**
   * Delivers the signal to the workspace's workflow (wired to Temporal by the caller).
   * Rejects with a `not_found` CodedError when the workspace has no workflow to signal.
   */
  signalPayment: (workspaceId: string, signal: PaymentSignal) => Promise<void>;
  /** How old a signature may be, in seconds (Stripe's default: 300). */
  toleranceSeconds?: number;
}

const MAX_EVENT_BYTES = 1024 * 1024;

const SIGNAL_TYPES: Record<string, PaymentSignal['type']> = {
  'payment_intent.succeeded': 'payment_succeeded',
  'payment_intent.payment_failed': 'payment_failed',
};

const idOf = (v: unknown) => (typeof v === 'string' && /^[\x21-\x7e]{1,200}$/.test(v) ? v : undefined);
const plainText = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 1000 && !/\p{Cc}/u.test(v) ? v : undefined);

/** The signal an event means, with its workspace; null for events we do not route. */
export function paymentSignalOf(event: Stripe.Event): { workspaceId: string; signal: PaymentSignal } | null {
  const type = SIGNAL_TYPES[event.type];
  if (!type) return null;
  // Signed by Stripe, yet read defensively: only ids and plain text reach the workflow and the database.
  const pi = event.data.object as Partial<Stripe.PaymentIntent>;
  const metadata = pi.metadata && typeof pi.metadata === 'object' ? pi.metadata : {};
  const workspaceId = idOf(metadata.workspace_id);
  const invoiceId = idOf(metadata.invoice_id);
  const paymentIntentId = idOf(pi.id);
  if (!workspaceId || !invoiceId || !paymentIntentId) return null;
  const signal: PaymentSignal = { eventId: event.id, type, invoiceId, paymentIntentId };
  const err = pi.last_payment_error && typeof pi.last_payment_error === 'object' ? pi.last_payment_error : null;
  if (type === 'payment_failed') {
    signal.reason = plainText(err?.message) ?? 'The payment failed.';
    const code = idOf(err?.decline_code) ?? idOf(err?.code);
    if (code) signal.code = code;
  }
  return { workspaceId, signal };
}

function verify(body: unknown, signature: string | string[] | undefined, deps: StripeWebhookDeps): Stripe.Event {
  if (!Buffer.isBuffer(body) || body.length === 0) throw new CodedError('malformed_event', 'the body must be a Stripe event');
  // An empty secret would let anyone sign: refuse everything instead.
  if (!deps.webhookSecret) throw new CodedError('invalid_signature', 'no Stripe webhook secret is configured; refusing unverifiable events');
  if (typeof signature !== 'string') throw new CodedError('invalid_signature', 'missing Stripe-Signature header');
  let event: Stripe.Event;
  try {
    event = Stripe.webhooks.constructEvent(body, signature, deps.webhookSecret, deps.toleranceSeconds ?? 300);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new CodedError('invalid_signature', err.message);
    throw new CodedError('malformed_event', 'the body is not a JSON Stripe event');
  }
  const e = event as Partial<Stripe.Event> | null;
  const object: unknown = e?.data?.object;
  const wellFormed =
    typeof e?.id === 'string' && /^evt_\w{1,200}$/.test(e.id) &&
    typeof e.type === 'string' && /^[\w.]{1,200}$/.test(e.type) &&
    typeof object === 'object' && object !== null;
  if (!wellFormed) throw new CodedError('malformed_event', 'the event lacks a valid id, type or data object');
  return event;
}

/**
 * Runs deliveries of one event id in this process one after another, so
 * concurrent copies (Stripe may send an event more than once) wait for the
 * first instead of answering 'busy'. Across processes the claim does it.
 */
const inProcess = new Map<string, Promise<unknown>>();
async function oneAtATime<T>(eventId: string, fn: () => Promise<T>): Promise<T> {
  const run = (inProcess.get(eventId) ?? Promise.resolve()).then(fn, fn);
  const tail = run.catch(() => undefined);
  inProcess.set(eventId, tail);
  try {
    return await run;
  } finally {
    if (inProcess.get(eventId) === tail) inProcess.delete(eventId);
  }
}

export function stripeWebhookRoutes(deps: StripeWebhookDeps) {
  return (app: App) => {
    // An encapsulated scope, so only this route reads raw bytes (the signature covers them exactly).
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_EVENT_BYTES }, (_req, body, done) => done(null, body));
      scope.post(
        '/v1/stripe/webhook',
        {
          bodyLimit: MAX_EVENT_BYTES,
          config: { auth: false, refusals: ['invalid_signature', 'malformed_event', 'event_in_progress', 'signal_failed'] },
          schema: {
            tags: ['stripe'],
            operationId: 'receiveStripeWebhook',
            summary: 'Stripe webhook endpoint (Stripe-Signature verified)',
            security: [],
            'x-refusal': 'only events Stripe signed with the endpoint secret are accepted: anything else is 400 invalid_signature',
            headers: Type.Object({ 'stripe-signature': Type.Optional(Type.String({ description: 'set by Stripe' })) }),
            response: {
              200: Type.Object(
                { received: Type.Literal(true), duplicate: Type.Boolean(), routed: Type.Boolean(), ignored: Type.Optional(Type.String({ enum: ['unknown_workspace'] })) },
                { description: 'Recorded (and delivered to its workspace when it concerns one)' },
              ),
            },
          },
        },
        async (req) => {
          const event = verify(req.body, req.headers['stripe-signature'], deps);
          const routed = paymentSignalOf(event);
          const pi = event.data.object as { id?: unknown };
          return oneAtATime(event.id, async () => {
            const claim = await claimEvent(deps.pool, {
              eventId: event.id,
              type: event.type,
              workspaceId: routed?.workspaceId ?? null,
              invoiceId: routed?.signal.invoiceId ?? null,
              paymentIntentId: idOf(pi.id) ?? null,
              deliverable: routed !== null,
            });
            if (claim === 'delivered') return { received: true, duplicate: true, routed: false };
            if (claim === 'busy') throw new CodedError('event_in_progress', 'another delivery of this event is in progress; Stripe will retry');
            if (!routed) return { received: true, duplicate: false, routed: false };
            // After the commit: no connection is held while Temporal answers (up to 60 s).
            const delivered = await deps.signalPayment(routed.workspaceId, routed.signal).then(
              () => true,
              async (err: unknown) => {
                if (err instanceof CodedError && err.code === 'not_found') return false;
                req.log.error({ err, eventId: event.id }, 'stripe webhook: signalling the workflow failed');
                await releaseClaim(deps.pool, event.id);
                throw new CodedError('signal_failed', 'could not deliver the event to the workspace; Stripe will retry');
              },
            );
            // A crash before this line means one more signal on redelivery: the workflow drops it by event id.
            await markDelivered(deps.pool, event.id);
            if (!delivered) {
              // No workflow will ever take it: keep the record (with its workspace and invoice) and acknowledge.
              req.log.warn({ eventId: event.id, workspaceId: routed.workspaceId }, 'stripe webhook: event for an unknown workspace ignored');
              return { received: true, duplicate: false, routed: false, ignored: 'unknown_workspace' };
            }
            return { received: true, duplicate: false, routed: true };
          });
        },
      );
    });
  };
}
