// A small Stripe-compatible HTTP server (SPEC section 5) for tests and for
// `npm start` without a Stripe key: customers, payment methods and
// PaymentIntents with Stripe's test cards, Stripe's error shapes and
// idempotency semantics, fault injection and signed webhooks. The official
// `stripe` client talks to it exactly as it talks to api.stripe.com.
//
// Control API (no auth), for tests and people:
//   GET  /_sandbox/stats        counts (charges = successful charges)
//   GET  /_sandbox/charges      every charge attempt
//   GET  /_sandbox/requests     every API request: method, path, idempotency key, metadata, outcome
//   POST /_sandbox/faults       {"count":N,"status":500,"when":"before"|"after","path":"/v1/payment_intents","reset":false}
//                               (reset: drop the connection without an answer instead of answering `status`)
//   POST /_sandbox/offline      {"mode":"reset"} drops every API request's connection until {"mode":null};
//                               {"mode":"refuse","forMs":N} stops listening (connection refused) for N ms
//   POST /_sandbox/delay        {"ms":N} before every API request
//   PUT  /_sandbox/webhook      {"url":"...","secret":"whsec_..."}; DELETE to stop sending
//   GET  /_sandbox/deliveries   webhook delivery attempts
//   POST /_sandbox/clock        {"advanceMs":N} moves the sandbox's clock forward: idempotency keys older than
//                               24 h (Stripe's window) are forgotten, as Stripe forgets them
//   POST /_sandbox/payment_intents/:id/complete   the customer completes an open PaymentIntent later (on-session)
//   POST /_sandbox/reset        forget every object, fault and delay
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  authenticationError,
  idempotencyKeyInUse,
  idempotencyMismatch,
  injectedFault,
  invalidRequest,
  notFoundUrl,
  StripeApiError,
} from './errors';
import { FormError, parseForm, type FormObject } from './form';
import { emptyData, newId, SandboxObjects, type ChargeRecord, type PaymentIntent, type Refund, type SandboxData } from './objects';
import { TEST_CARDS } from './test-cards';
import { makeEvent, WebhookSender, type DeliveryRecord, type StripeEvent, type WebhookTarget } from './webhooks';

export interface StripeSandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  webhook?: WebhookTarget;
  /** Keep objects across restarts (npm start); tests leave it out. */
  stateFile?: string;
  webhookMaxAttempts?: number;
  webhookBackoffMs?: number;
}

export interface FaultInjection {
  count: number;
  /** HTTP status of the injected failure (default 500). */
  status?: number;
  /** before: fail without processing (nothing stored); after: process, then answer with the failure (a lost response). */
  when?: 'before' | 'after';
  /** Only requests whose path starts with this. */
  path?: string;
  /** Destroy the connection without any answer (a network failure) instead of answering with `status`. */
  reset?: boolean;
}

/**
 * Stripe unreachable: `refuse` closes the listener (connection refused; objects and
 * keys are kept and the same port is listened on again when back online); `reset`
 * accepts connections and destroys them without answering any API request.
 */
export type OfflineMode = 'refuse' | 'reset';

/** One API request as the sandbox saw it. */
export interface RequestRecord {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The request's `metadata[...]` parameters (e.g. invoice_id), if any. */
  metadata: Record<string, string>;
  /** HTTP status sent, or null when the connection was dropped. */
  status: number | null;
  outcome:
    | 'processed'
    | 'replayed' // answered from the idempotency key's stored response
    | 'fault' // injected failure before processing: nothing stored
    | 'lost' // processed (or replayed), then answered with an injected failure or its connection dropped
    | 'reset' // connection dropped before processing (offline reset mode or an injected reset)
    | 'error'; // refused by validation, authentication or idempotency rules
}

export interface SandboxStats {
  requests: number;
  /** Successful charges. */
  charges: number;
  declinedCharges: number;
  amountChargedCents: number;
  paymentIntents: number;
  customers: number;
  paymentMethods: number;
  refunds: number;
  amountRefundedCents: number;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  body: string;
  /** When the key was first used, on the sandbox's clock (absent in older state files). */
  createdAt?: number;
}

/** Stripe prunes idempotency keys once they are at least 24 hours old. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3_600_000;

interface Persisted {
  data: SandboxData;
  idempotency: Record<string, StoredResponse>;
}

const ROUTES: Array<{ method: string; pattern: RegExp; run: (o: SandboxObjects, p: FormObject, id: string) => object }> = [
  { method: 'POST', pattern: /^\/v1\/customers$/, run: (o, p) => o.createCustomer(p) },
  { method: 'GET', pattern: /^\/v1\/customers\/([^/]+)$/, run: (o, _p, id) => o.customer(id) },
  { method: 'POST', pattern: /^\/v1\/customers\/([^/]+)$/, run: (o, p, id) => o.updateCustomer(id, p) },
  { method: 'GET', pattern: /^\/v1\/payment_methods\/([^/]+)$/, run: (o, _p, id) => o.paymentMethod(id) },
  { method: 'POST', pattern: /^\/v1\/payment_methods\/([^/]+)\/attach$/, run: (o, p, id) => o.attachPaymentMethod(id, p) },
  { method: 'POST', pattern: /^\/v1\/payment_methods\/([^/]+)\/detach$/, run: (o, p, id) => o.detachPaymentMethod(id, p) },
  { method: 'POST', pattern: /^\/v1\/payment_intents$/, run: (o, p) => o.createPaymentIntent(p) },
  { method: 'GET', pattern: /^\/v1\/payment_intents$/, run: (o, p) => o.listPaymentIntents(p) },
  { method: 'GET', pattern: /^\/v1\/payment_intents\/([^/]+)$/, run: (o, _p, id) => o.paymentIntent(id) },
  { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/confirm$/, run: (o, p, id) => o.confirmPaymentIntent(id, p) },
  { method: 'POST', pattern: /^\/v1\/payment_intents\/([^/]+)\/cancel$/, run: (o, p, id) => o.cancelPaymentIntent(id, p) },
  { method: 'POST', pattern: /^\/v1\/refunds$/, run: (o, p) => o.createRefund(p) },
  { method: 'GET', pattern: /^\/v1\/refunds\/([^/]+)$/, run: (o, _p, id) => o.refund(id) },
];

/** The request log keeps the most recent requests only (a long `npm start` must not grow without bound). */
const MAX_REQUEST_LOG = 10_000;

/** Same parameters, whatever their order. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

async function readBody(req: http.IncomingMessage, limit = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw invalidRequest('Request body too large.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export class StripeSandbox {
  private readonly server: http.Server;
  private objects: SandboxObjects;
  private idempotency = new Map<string, StoredResponse>();
  private readonly inFlightKeys = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private faults: Array<Required<Omit<FaultInjection, 'path'>> & { path?: string }> = [];
  private requestLog: RequestRecord[] = [];
  private offlineMode: OfflineMode | null = null;
  private onlineTimer: NodeJS.Timeout | null = null;
  /** Resolves once the listener closed by `refuse` has let go of its connections. */
  private stopped: Promise<void> = Promise.resolve();
  private closed = false;
  private delayMs = 0;
  /** How far the sandbox's clock is ahead of real time. */
  private clockOffsetMs = 0;
  private requestCount = 0;
  private pendingEvents: StripeEvent[] = [];
  private readonly webhooks: WebhookSender;
  private apiVersion = '2025-sandbox';
  port = 0;

  private constructor(private readonly opts: StripeSandboxOptions) {
    this.webhooks = new WebhookSender(opts.webhookMaxAttempts, opts.webhookBackoffMs);
    this.webhooks.target = opts.webhook ?? null;
    const persisted = this.load();
    this.objects = this.newObjects(persisted?.data ?? emptyData());
    if (persisted) {
      // Keys from older state files have no age: they count from now.
      this.idempotency = new Map(Object.entries(persisted.idempotency).map(([k, v]) => [k, { ...v, createdAt: v.createdAt ?? Date.now() }]));
    }
    this.server = http.createServer((req, res) => {
      const done = this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end();
        console.error('stripe sandbox: unhandled error', err);
      });
      this.inFlight.add(done);
      void done.finally(() => this.inFlight.delete(done));
    });
    this.server.keepAliveTimeout = 5_000;
  }

  static async start(opts: StripeSandboxOptions = {}): Promise<StripeSandbox> {
    const sandbox = new StripeSandbox(opts);
    await new Promise<void>((resolve, reject) => {
      sandbox.server.once('error', reject);
      sandbox.server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
        sandbox.server.off('error', reject);
        resolve();
      });
    });
    sandbox.port = (sandbox.server.address() as AddressInfo).port;
    return sandbox;
  }

  /** Base URL for the stripe client (STRIPE_API_BASE). */
  get url(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.port}`;
  }

  private newObjects(data: SandboxData): SandboxObjects {
    return new SandboxObjects(
      data,
      (type, object) => this.pendingEvents.push(makeEvent(type, object, this.apiVersion, { id: null, idempotency_key: null })),
      () => this.now(),
    );
  }

  /** The sandbox's clock (real time, plus whatever `advanceClock` added). */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  // ---- control API (also over HTTP under /_sandbox/) ----

  stats(): SandboxStats {
    const d = this.objects.data;
    const ok = d.charges.filter((c) => c.status === 'succeeded');
    return {
      requests: this.requestCount,
      charges: ok.length,
      declinedCharges: d.charges.length - ok.length,
      amountChargedCents: ok.reduce((s, c) => s + c.amount, 0),
      paymentIntents: Object.keys(d.paymentIntents).length,
      customers: Object.keys(d.customers).length,
      paymentMethods: Object.keys(d.paymentMethods).length,
      refunds: Object.keys(d.refunds ?? {}).length,
      amountRefundedCents: Object.values(d.refunds ?? {}).reduce((s, r) => s + r.amount, 0),
    };
  }

  charges(): ChargeRecord[] {
    return structuredClone(this.objects.data.charges);
  }

  refunds(): Refund[] {
    return structuredClone(Object.values(this.objects.data.refunds ?? {}));
  }

  /**
   * Moves the sandbox's clock forward by `ms`: idempotency keys first used 24 h or
   * more before the new time are forgotten, as Stripe forgets them (a retry with
   * such a key is a new request).
   */
  advanceClock(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0) throw new RangeError('advanceMs must be a non-negative integer');
    this.clockOffsetMs += ms;
  }

  /** The customer completes an open PaymentIntent later, on-session: it succeeds and payment_intent.succeeded is sent. */
  completePaymentIntent(id: string): PaymentIntent {
    this.pendingEvents = [];
    const pi = this.objects.completePaymentIntent(id);
    const events = this.pendingEvents;
    this.pendingEvents = [];
    this.save();
    for (const e of events) this.webhooks.send(e);
    return structuredClone(pi);
  }

  /** The cardholder disputes a PaymentIntent's charge: Stripe then refuses to refund it (`charge_disputed`). */
  disputeCharge(paymentIntentId: string): void {
    this.objects.disputeCharge(paymentIntentId);
    this.save();
  }

  /**
   * Charges on `paymentMethodId` behave from now on like those on Stripe's test
   * card `testCard` (a declining card whose bank starts approving, say).
   */
  setCardBehaviour(paymentMethodId: string, testCard: string): void {
    if (!this.objects.data.paymentMethods[paymentMethodId]) throw new RangeError(`no payment method ${paymentMethodId}`);
    if (!TEST_CARDS[testCard]) throw new RangeError(`unknown test card ${testCard}`);
    this.objects.data.testCardOf[paymentMethodId] = testCard;
  }

  injectFailures(f: FaultInjection): void {
    if (!Number.isInteger(f.count) || f.count < 1) throw new RangeError('count must be a positive integer');
    const status = f.status ?? 500;
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new RangeError('status must be 4xx or 5xx');
    this.faults.push({ count: f.count, status, when: f.when ?? 'before', reset: f.reset ?? false, ...(f.path ? { path: f.path } : {}) });
  }

  /** How many injected failures have not fired yet. */
  pendingFaults(): number {
    return this.faults.reduce((n, f) => n + f.count, 0);
  }

  /** Forgets injected faults that have not fired yet. */
  clearFaults(): void {
    this.faults = [];
  }

  /** The API requests so far (since the last reset; the latest 10,000), oldest first. */
  requests(): RequestRecord[] {
    return structuredClone(this.requestLog);
  }

  /** Every PaymentIntent, e.g. to count those whose metadata names an invoice. */
  paymentIntents(): PaymentIntent[] {
    return structuredClone(Object.values(this.objects.data.paymentIntents));
  }

  get offline(): OfflineMode | null {
    return this.offlineMode;
  }

  /**
   * Makes the sandbox unreachable (see OfflineMode) until `goOnline()`, or for
   * `forMs` milliseconds. State, idempotency keys and faults are kept.
   */
  async goOffline(mode: OfflineMode, forMs?: number): Promise<void> {
    if (mode !== 'refuse' && mode !== 'reset') throw new RangeError("mode must be 'refuse' or 'reset'");
    if (forMs !== undefined && (!Number.isInteger(forMs) || forMs < 1 || forMs > 600_000)) throw new RangeError('forMs must be 1..600000');
    this.clearOnlineTimer();
    this.offlineMode = mode;
    if (mode === 'refuse') {
      this.stopListening();
      this.server.closeAllConnections();
      await this.stopped;
    }
    if (mode === 'reset') {
      if (!this.server.listening) await this.listen(this.port);
      this.server.closeIdleConnections();
    }
    if (forMs !== undefined) {
      this.onlineTimer = setTimeout(() => {
        this.onlineTimer = null;
        this.goOnline().catch((err: unknown) => console.error('stripe sandbox: going back online failed', err));
      }, forMs);
    }
  }

  /** Back to normal after goOffline: listens on the same port again if it had stopped. */
  async goOnline(): Promise<void> {
    this.clearOnlineTimer();
    this.offlineMode = null;
    if (!this.server.listening && !this.closed) {
      await this.stopped;
      await this.listen(this.port);
    }
  }

  /** No new connections from now on (connection refused); idle keep-alive ones are closed. */
  private stopListening(): void {
    if (!this.server.listening) return;
    this.stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
  }

  private clearOnlineTimer(): void {
    if (this.onlineTimer) clearTimeout(this.onlineTimer);
    this.onlineTimer = null;
  }

  /** Listens on `port`; the same port again after `refuse` (retried briefly if something holds it). */
  private async listen(port: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (err: Error) => reject(err);
          this.server.once('error', onError);
          this.server.listen(port, this.opts.host ?? '127.0.0.1', () => {
            this.server.off('error', onError);
            resolve();
          });
        });
        this.port = (this.server.address() as AddressInfo).port;
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0 || attempt >= 100) throw err;
        await sleep(50);
      }
    }
  }

  setDelay(ms: number): void {
    if (!Number.isInteger(ms) || ms < 0 || ms > 120_000) throw new RangeError('delay must be 0..120000 ms');
    this.delayMs = ms;
  }

  setWebhookTarget(target: WebhookTarget | null): void {
    this.webhooks.target = target;
  }

  deliveries(): DeliveryRecord[] {
    return [...this.webhooks.deliveries];
  }

  /** Resolves when every webhook queued so far has been delivered (or given up). */
  webhooksIdle(): Promise<void> {
    return this.webhooks.idle();
  }

  /** Resolves when no API request is being processed (e.g. after a client timed out). */
  async requestsIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  reset(): void {
    this.objects = this.newObjects(emptyData());
    this.idempotency.clear();
    this.faults = [];
    this.delayMs = 0;
    this.clockOffsetMs = 0;
    this.requestCount = 0;
    this.requestLog = [];
    this.save();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearOnlineTimer();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve())); // (an error here: already not listening)
    await this.webhooks.idle();
  }

  // ---- persistence ----

  private load(): Persisted | null {
    if (!this.opts.stateFile) return null;
    try {
      return JSON.parse(readFileSync(this.opts.stateFile, 'utf8')) as Persisted;
    } catch {
      return null;
    }
  }

  private save(): void {
    if (!this.opts.stateFile) return;
    const tmp = `${this.opts.stateFile}.tmp`;
    const persisted: Persisted = { data: this.objects.data, idempotency: Object.fromEntries(this.idempotency) };
    writeFileSync(tmp, JSON.stringify(persisted));
    renameSync(tmp, this.opts.stateFile);
  }

  // ---- HTTP ----

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (url.pathname.startsWith('/_sandbox/')) return this.control(req, res, url.pathname);

    const requestId = newId('req');
    const method = req.method ?? 'GET';
    const key = method === 'POST' ? (req.headers['idempotency-key'] as string | undefined) : undefined;
    const record: RequestRecord = { method, path: url.pathname, idempotencyKey: key ?? null, metadata: {}, status: null, outcome: 'error' };
    this.requestLog.push(record);
    if (this.requestLog.length > MAX_REQUEST_LOG) this.requestLog.splice(0, this.requestLog.length - MAX_REQUEST_LOG);
    const send = (status: number, body: string, outcome: RequestRecord['outcome'], extra: Record<string, string> = {}) => {
      record.status = status;
      record.outcome = outcome;
      res.writeHead(status, {
        'content-type': 'application/json',
        'request-id': requestId,
        'stripe-version': this.apiVersion,
        ...extra,
      });
      res.end(body);
    };
    /** No answer at all: the caller sees its connection reset. */
    const drop = (outcome: 'reset' | 'lost' = 'reset') => {
      record.outcome = outcome;
      req.socket.destroy();
    };
    let holdsKey = false;
    try {
      this.requestCount++;
      const body = await readBody(req);
      const parse = () => (method === 'GET' ? parseForm(url.search.slice(1)) : parseForm(body));
      const noteMetadata = (params: FormObject) => {
        const metadata = params.metadata;
        if (metadata && typeof metadata === 'object' && !Array.isArray(metadata)) {
          for (const [k, v] of Object.entries(metadata)) if (typeof v === 'string') record.metadata[k] = v;
        }
      };
      if (this.offlineMode) {
        try {
          noteMetadata(parse()); // for the log only
        } catch {
          /* unparseable: dropped all the same */
        }
        return drop();
      }
      this.authenticate(req.headers.authorization);
      const version = req.headers['stripe-version'];
      if (typeof version === 'string' && version) this.apiVersion = version;
      const params = parse();
      noteMetadata(params);
      const route = ROUTES.find((r) => r.method === method && r.pattern.test(url.pathname));
      if (!route) throw notFoundUrl(method, url.pathname);
      const fault = this.takeFault(url.pathname);
      if (fault?.when === 'before') {
        if (fault.reset) return drop();
        const e = injectedFault(fault.status);
        return send(e.statusCode, JSON.stringify(e.toJSON()), 'fault', { 'stripe-should-retry': 'true' });
      }
      /** The work is done and kept for the key, but the caller sees a failure (a lost response). */
      const lose = () => {
        if (fault!.reset) return drop('lost');
        const lost = injectedFault(fault!.status);
        send(lost.statusCode, JSON.stringify(lost.toJSON()), 'lost', { 'stripe-should-retry': 'true' });
      };

      const fingerprint = `${method} ${url.pathname} ${canonical(params)}`;
      if (key) {
        const expired = this.idempotency.get(key);
        if (expired && this.now() - (expired.createdAt ?? 0) >= IDEMPOTENCY_KEY_TTL_MS) this.idempotency.delete(key);
        const stored = this.idempotency.get(key);
        if (stored) {
          if (stored.fingerprint !== fingerprint) throw idempotencyMismatch(key);
          if (fault?.when === 'after') return lose();
          return send(stored.status, stored.body, 'replayed', { 'idempotent-replayed': 'true', 'original-request': requestId });
        }
        if (this.inFlightKeys.has(key)) throw idempotencyKeyInUse();
        this.inFlightKeys.add(key);
        holdsKey = true;
      }
      // Delay while holding the key, as a slow Stripe would: a client that gives up and retries meanwhile gets a 409.
      if (this.delayMs > 0) await sleep(this.delayMs);

      this.pendingEvents = [];
      let status = 200;
      let out: string;
      try {
        const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
        out = JSON.stringify(route.run(this.objects, params, id));
      } catch (err) {
        // Card errors happen after Stripe started executing: their result is kept for the key.
        if (!(err instanceof StripeApiError) || err.statusCode !== 402) throw err;
        status = 402;
        out = JSON.stringify(err.toJSON());
      }
      const events = this.pendingEvents.map((e) => ({ ...e, request: { id: requestId, idempotency_key: key ?? null } }));
      this.pendingEvents = [];
      if (key) this.idempotency.set(key, { fingerprint, status, body: out, createdAt: this.now() });
      if (method === 'POST') this.save();
      if (fault?.when === 'after') lose();
      else send(status, out, 'processed');
      for (const e of events) this.webhooks.send(e);
    } catch (err) {
      const e = err instanceof StripeApiError ? err : err instanceof FormError ? invalidRequest(err.message) : null;
      if (!e) throw err;
      send(e.statusCode, JSON.stringify(e.toJSON()), 'error', e.statusCode >= 500 ? { 'stripe-should-retry': 'true' } : {});
    } finally {
      if (holdsKey && key) this.inFlightKeys.delete(key);
    }
  }

  private authenticate(header: string | undefined): void {
    if (!header) {
      throw authenticationError(
        "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      );
    }
    const m = /^Bearer (\S+)$/.exec(header);
    if (!m || !/^(sk|rk)_(test|live)_\w+$/.test(m[1]!)) {
      throw authenticationError(`Invalid API Key provided: ${(m?.[1] ?? header).slice(0, 12)}****`);
    }
  }

  private takeFault(path: string) {
    const fault = this.faults.find((f) => !f.path || path.startsWith(f.path));
    if (!fault) return undefined;
    fault.count--;
    if (fault.count <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault;
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    try {
      const raw = await readBody(req);
      const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
      const route = `${req.method} ${path}`;
      const completing = /^POST \/_sandbox\/payment_intents\/([^/]+)\/complete$/.exec(route);
      if (completing) return reply(200, this.completePaymentIntent(decodeURIComponent(completing[1]!)));
      switch (route) {
        case 'GET /_sandbox/stats':
          return reply(200, this.stats());
        case 'GET /_sandbox/charges':
          return reply(200, this.charges());
        case 'GET /_sandbox/requests':
          return reply(200, this.requests());
        case 'GET /_sandbox/deliveries':
          return reply(200, this.deliveries());
        case 'POST /_sandbox/faults':
          this.injectFailures(body as unknown as FaultInjection);
          return reply(200, { faults: this.faults });
        case 'POST /_sandbox/offline': {
          const mode = body.mode ?? null;
          if (mode === null) {
            await this.goOnline();
            return reply(200, { mode: null });
          }
          if (mode !== 'refuse' && mode !== 'reset') throw new RangeError("mode must be 'refuse', 'reset' or null");
          const forMs = body.forMs as number | undefined;
          // Over HTTP, a refusing sandbox could never be told to come back: it needs a deadline.
          if (mode === 'refuse' && forMs === undefined) throw new RangeError("mode 'refuse' needs forMs over HTTP");
          if (forMs !== undefined && (!Number.isInteger(forMs) || forMs < 1 || forMs > 600_000)) throw new RangeError('forMs must be 1..600000');
          // Stop accepting before answering (a request sent after the answer is refused), answer on this
          // connection, then close it with the others.
          if (mode === 'refuse') this.stopListening();
          const sent = new Promise((resolve) => res.once('finish', resolve));
          res.setHeader('connection', 'close');
          reply(200, { mode, forMs: forMs ?? null });
          await sent;
          await this.goOffline(mode, forMs);
          return;
        }
        case 'POST /_sandbox/delay':
          this.setDelay(body.ms as number);
          return reply(200, { ms: this.delayMs });
        case 'PUT /_sandbox/webhook':
          if (typeof body.url !== 'string' || typeof body.secret !== 'string') throw new RangeError('url and secret are required strings');
          this.setWebhookTarget({ url: body.url, secret: body.secret });
          return reply(200, { url: body.url });
        case 'DELETE /_sandbox/webhook':
          this.setWebhookTarget(null);
          return reply(200, { url: null });
        case 'POST /_sandbox/clock':
          this.advanceClock(body.advanceMs as number);
          return reply(200, { now: this.now() });
        case 'POST /_sandbox/reset':
          this.reset();
          return reply(200, { reset: true });
        default:
          return reply(404, { error: `no control route ${route}` });
      }
    } catch (err) {
      return reply(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}

export const startStripeSandbox = (opts?: StripeSandboxOptions) => StripeSandbox.start(opts);
