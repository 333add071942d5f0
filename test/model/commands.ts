// The model-based commands (fast-check): every command of issue 13, each run
// against the reference model and the real system; the HTTP answer must equal
// the model's, then the state and the invariants are compared (./check.ts).
import fc from 'fast-check';
import { DAY } from './reference/calendar';
import type { PlanId } from './reference/catalog';
import { BillingModel, type Answer, type CardId, type CreateRequest, type Enterprise, type UsageRequest } from './reference/model';
import { afterCommand, compareAnswer, type World } from './check';
import type { ModelSystem } from './system';
import { withWatchdog } from './watchdog';

export type Cmd = fc.AsyncCommand<World, ModelSystem>;

/** Reads the answer the way the model states it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function answerOf(res: { status: number; body: any }, usage = false): Answer {
  const a: Answer = { status: res.status };
  if (res.status >= 400) a.code = res.body?.error?.code;
  if (usage && res.status === 200) {
    a.creditsCharged = res.body.creditsCharged;
    a.balance = res.body.balance;
  }
  return a;
}

const MINUTE = 60_000;

/** The model's current view of where the workspace's clock must be read after a (re)subscription. */
async function adoptAnchor(w: World, sys: ModelSystem, wasSubscribed: boolean): Promise<void> {
  if (wasSubscribed || w.m.phase !== 'subscribed') return;
  const res = await sys.call('GET', `/v1/workspaces/${w.ws}`);
  w.m.startNewAnchor(Date.parse(res.body.term.start));
}

abstract class Base implements Cmd {
  check(_w: Readonly<World>): boolean {
    return true;
  }
  abstract exec(w: World, sys: ModelSystem): Promise<void>;
  async run(w: World, sys: ModelSystem): Promise<void> {
    w.log.push(this.toString());
    const t0 = Date.now();
    await withWatchdog(`${this}`, w, sys, () => this.exec(w, sys));
    const t1 = Date.now();
    await withWatchdog(`${this} (waiting for the workflow to settle)`, w, sys, () => afterCommand(w, sys, this.toString()));
    if (process.env.MODEL_VERBOSE) console.log(`  ${w.ws} ${this.toString()} [${t1 - t0} + ${Date.now() - t1} ms]`);
  }
  abstract toString(): string;
}

// ---- create ----

export class Create extends Base {
  constructor(readonly req: CreateRequest) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const was = w.m.phase === 'subscribed';
    const expected = w.m.create(this.req);
    const res = await sys.call('POST', '/v1/workspaces', { body: createBody(w.ws, this.req) });
    compareAnswer(w, this.toString(), expected, answerOf(res));
    if (!was && w.m.phase === 'subscribed') w.m.setAnchor(Date.parse(res.body.term.start));
  }
  toString() {
    return `create(${JSON.stringify(this.req)})`;
  }
}

export class RepeatCreate extends Base {
  override check(w: Readonly<World>) {
    return w.m.createdWith !== null;
  }
  async exec(w: World, sys: ModelSystem) {
    const req = JSON.parse(w.m.createdWith!) as CreateRequest;
    const expected = w.m.create(req);
    const res = await sys.call('POST', '/v1/workspaces', { body: createBody(w.ws, req) });
    compareAnswer(w, this.toString(), expected, answerOf(res));
  }
  toString() {
    return 'repeatCreate()';
  }
}

function createBody(id: string, req: CreateRequest) {
  return {
    id,
    name: `Model ${id}`,
    billingEmail: 'finance@example.com',
    billingAddress: { country: 'US', region: 'CA' },
    plan: req.plan,
    ...(req.enterprise ? { enterprise: req.enterprise } : {}),
    ...(req.paymentMethod ? { paymentMethod: req.paymentMethod } : {}),
  };
}

// ---- usage ----

export interface UsageSpec {
  action: string;
  tokens?: number;
  feature: string;
  alreadyPerformed: boolean;
  member: number;
  /** -1: a new key; otherwise reuse the i-th key used so far (modulo). */
  reuse: number;
}

function usageRequest(w: World, s: UsageSpec): UsageRequest {
  let key: string;
  if (s.reuse >= 0 && w.keys.length > 0) key = w.keys[s.reuse % w.keys.length]!;
  else {
    key = `u${w.keys.length}`;
    w.keys.push(key);
  }
  return {
    key,
    memberId: `member-${s.member}`,
    action: s.action,
    feature: s.feature,
    ...(s.tokens !== undefined ? { tokens: s.tokens } : {}),
    ...(s.alreadyPerformed ? { alreadyPerformed: true } : {}),
  };
}

const usageBody = (r: UsageRequest) => ({
  idempotencyKey: r.key,
  memberId: r.memberId,
  action: r.action,
  feature: r.feature,
  ...(r.tokens !== undefined ? { tokens: r.tokens } : {}),
  ...(r.alreadyPerformed ? { alreadyPerformed: true } : {}),
});

export class Usage extends Base {
  constructor(readonly spec: UsageSpec) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const req = usageRequest(w, this.spec);
    const expected = w.m.usage(req);
    const res = await sys.call('POST', `/v1/workspaces/${w.ws}/usage`, { body: usageBody(req) });
    compareAnswer(w, `${this.toString()} key=${req.key}`, expected, answerOf(res, true));
  }
  toString() {
    return `usage(${JSON.stringify(this.spec)})`;
  }
}

/** Concurrent requests of one body under fresh keys, plus a copy of the first under its own key: any order must give the same answers. */
export class UsageBurst extends Base {
  constructor(
    readonly spec: UsageSpec,
    readonly copies: number,
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const reqs = Array.from({ length: this.copies }, () => usageRequest(w, { ...this.spec, reuse: -1 }));
    const expected = reqs.map((r) => w.m.usage(r));
    // The first request twice: the copy answers as the first did, whichever ran first.
    const real = (await Promise.all([...reqs, reqs[0]!].map((r) => sys.call('POST', `/v1/workspaces/${w.ws}/usage`, { body: usageBody(r) })))).map((r) => answerOf(r, true));
    compareAnswer(w, `${this.toString()} (the repeated key)`, real[0]!, real[this.copies]!);
    // The requests may run in any order: the same answers, whichever request got which.
    const order = (a: Answer) => JSON.stringify([a.status, a.code ?? '', 1e9 - (a.balance?.total ?? 0), a.creditsCharged ?? 0]);
    const sortAnswers = (xs: Answer[]) => [...xs].sort((a, b) => order(a).localeCompare(order(b)));
    compareAnswer(w, this.toString(), sortAnswers(expected), sortAnswers(real.slice(0, this.copies)));
    reqs.forEach((r, i) => w.m.recordAnswer(r.key, real[i]!));
  }
  toString() {
    return `usageBurst(${JSON.stringify(this.spec)}, ${this.copies})`;
  }
}

// ---- lifecycle ----

export class Purchase extends Base {
  constructor(
    readonly credits: number,
    readonly reuse: number,
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    let key: string;
    if (this.reuse >= 0 && w.purchaseKeys.length > 0) key = w.purchaseKeys[this.reuse % w.purchaseKeys.length]!;
    else {
      key = `p${w.purchaseKeys.length}`;
      w.purchaseKeys.push(key);
    }
    const expected = w.m.purchase(this.credits, key);
    const res = await sys.call('POST', `/v1/workspaces/${w.ws}/purchases`, { body: { credits: this.credits, idempotencyKey: key } });
    compareAnswer(w, `${this.toString()} key=${key}`, expected, answerOf(res));
  }
  toString() {
    return `purchase(${this.credits}, ${this.reuse})`;
  }
}

export class ChangePlan extends Base {
  constructor(
    readonly plan: PlanId,
    readonly enterprise?: Enterprise,
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const was = w.m.phase === 'subscribed';
    const expected = w.m.changePlan(this.plan, this.enterprise, await sys.now());
    const res = await sys.call('POST', `/v1/workspaces/${w.ws}/plan`, { body: { plan: this.plan, ...(this.enterprise ? { enterprise: this.enterprise } : {}) } });
    compareAnswer(w, this.toString(), expected, answerOf(res));
    await adoptAnchor(w, sys, was);
  }
  toString() {
    return `changePlan(${JSON.stringify(this.plan)}${this.enterprise ? `, ${JSON.stringify(this.enterprise)}` : ''})`;
  }
}

export class Cancel extends Base {
  async exec(w: World, sys: ModelSystem) {
    compareAnswer(w, 'cancel', w.m.cancel(), answerOf(await sys.call('POST', `/v1/workspaces/${w.ws}/cancel`)));
  }
  toString() {
    return 'cancel()';
  }
}

export class Resume extends Base {
  async exec(w: World, sys: ModelSystem) {
    const was = w.m.phase === 'subscribed';
    compareAnswer(w, 'resume', w.m.resume(), answerOf(await sys.call('POST', `/v1/workspaces/${w.ws}/resume`)));
    await adoptAnchor(w, sys, was);
  }
  toString() {
    return 'resume()';
  }
}

/** A PUT of one workspace setting: the model's answer first, then the API's, which must equal it. */
abstract class PutSetting extends Base {
  protected abstract readonly route: string;
  protected abstract body(): object;
  protected abstract expected(m: BillingModel): Answer;
  async exec(w: World, sys: ModelSystem) {
    const expected = this.expected(w.m);
    const res = await sys.call('PUT', `/v1/workspaces/${w.ws}/${this.route}`, { body: this.body() });
    compareAnswer(w, this.toString(), expected, answerOf(res));
  }
}

export class PaymentMethod extends PutSetting {
  protected readonly route = 'payment-method';
  constructor(readonly card: CardId) {
    super();
  }
  protected body() {
    return { paymentMethod: this.card };
  }
  protected expected(m: BillingModel) {
    return m.setPaymentMethod(this.card);
  }
  toString() {
    return `paymentMethod(${JSON.stringify(this.card)})`;
  }
}

export class OnDemand extends PutSetting {
  protected readonly route = 'on-demand';
  constructor(
    readonly enabled: boolean,
    readonly monthlyLimit: number,
  ) {
    super();
  }
  protected body() {
    return { enabled: this.enabled, monthlyLimit: this.monthlyLimit };
  }
  protected expected(m: BillingModel) {
    return m.setOnDemand(this.enabled, this.monthlyLimit);
  }
  toString() {
    return `onDemand(${this.enabled}, ${this.monthlyLimit})`;
  }
}

export class Feature extends PutSetting {
  constructor(
    readonly feature: string,
    readonly enabled: boolean,
  ) {
    super();
  }
  protected get route() {
    return `features/${this.feature}`;
  }
  protected body() {
    return { enabled: this.enabled };
  }
  protected expected(m: BillingModel) {
    return m.setFeature(this.feature, this.enabled);
  }
  toString() {
    return `feature(${JSON.stringify(this.feature)}, ${this.enabled})`;
  }
}

// ---- time ----

/**
 * Moves virtual time by `ms`, or exactly onto the current term's end. A landing
 * just before or at a dunning retry or the purge is moved 5 minutes past it:
 * those instants follow the real instant of an earlier step (a few real
 * milliseconds after the model's), so only the far side of them is decided.
 */
export class Advance extends Base {
  constructor(
    readonly ms: number,
    readonly toTermEnd: boolean,
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const now = await sys.now();
    const termEnd = w.m.phase === 'subscribed' ? w.m.term().end : null;
    let to = this.toTermEnd && termEnd !== null && termEnd > now ? termEnd : now + this.ms;
    for (const due of w.m.dueInstants()) {
      if (due.what !== 'term_end' && to >= due.at - MINUTE && to < due.at + 5 * MINUTE) to = due.at + 5 * MINUTE;
      if (due.what === 'term_end' && to > due.at && to < due.at + MINUTE) to = due.at + MINUTE;
    }
    w.m.advanceTo(to);
    await sys.advanceTo(to);
  }
  toString() {
    return this.toTermEnd ? 'advanceToTermEnd()' : `advance(${this.ms})`;
  }
}

// ---- faults ----

/**
 * At most this many injected failures wait at once. Between commands virtual
 * time stands still, so a step's retries back off in real time (1, 2, 4 s...)
 * while its request waits for the answer; the API waits 60 s at most, then
 * answers 503 still_processing, which the model does not state. Three stacked
 * windows of two (six failures, 63 s of backoff) made a card change answer 503
 * in the soak (test/model/regression-paths.ts).
 */
const MAX_PENDING_FAULTS = 3;

/** Stripe answers the next `count` requests with a 500: before processing them, or after (the answer lost). */
export class StripeFault extends Base {
  constructor(
    readonly count: number,
    readonly when: 'before' | 'after',
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const count = Math.min(this.count, MAX_PENDING_FAULTS - sys.h.sandbox.pendingFaults());
    if (count > 0) sys.h.sandbox.injectFailures({ count, status: 500, when: this.when });
    w.faultWindow = true;
    w.faultClosedAt = null;
  }
  toString() {
    return `stripeFault(${this.count}, ${JSON.stringify(this.when)})`;
  }
}

/** Stripe webhooks for this workspace's PaymentIntents: a late one (an old intent), repeated `copies` times. */
export class Webhook extends Base {
  constructor(
    readonly pick: number,
    readonly copies: number,
  ) {
    super();
  }
  async exec(w: World, sys: ModelSystem) {
    const intents = sys.h.sandbox.paymentIntents().filter((p) => p.metadata.workspace_id === w.ws);
    if (intents.length === 0) return;
    const pi = intents[this.pick % intents.length]!;
    const type = pi.status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
    const event = { id: `evt_model_${w.ws.replace(/\W/g, "_")}_${pi.id}_${this.pick}`, object: 'event', api_version: '2025-sandbox', created: Math.floor(Date.now() / 1000), data: { object: pi }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type };
    for (let i = 0; i < this.copies; i++) {
      const status = await sys.webhook(event);
      compareAnswer(w, `${this.toString()} ${type}`, { status: 200 }, { status });
    }
  }
  toString() {
    return `webhook(${this.pick}, ${this.copies})`;
  }
}

/** The next activity to start finds its worker shutting down and its answer lost after its effect; a new worker runs it again. */
export class RestartWorker extends Base {
  async exec(_w: World, sys: ModelSystem) {
    sys.restartArmed = true;
  }
  toString() {
    return 'restartWorker()';
  }
}

// ---- generators ----

const card = fc.constantFrom<CardId>('pm_card_visa', 'pm_card_visa', 'pm_card_chargeDeclined', 'pm_card_authenticationRequired', 'pm_card_chargeCustomerFail');
const enterprise = fc.record({ monthlyCredits: fc.constantFrom(50, 300, 2000), monthlyPriceCents: fc.constantFrom(1500, 9900, 40000) });
const planArb = fc.oneof(
  fc.constantFrom<PlanId>('free', 'pro', 'growth').map((plan) => ({ plan, enterprise: undefined as Enterprise | undefined })),
  enterprise.map((e) => ({ plan: 'enterprise' as PlanId, enterprise: e as Enterprise | undefined })),
);
const feature = fc.constantFrom('chat', 'Chat', 'CHAT', 'reports', 'slack');
const usageSpec: fc.Arbitrary<UsageSpec> = fc.record({
  // Every action of the catalog (the billable ones more often) and one it does not know.
  action: fc.constantFrom(
    'chat_question', 'automation_query', 'api_analysis', 'slack_query', 'ai_assist', 'ai_assist',
    'view_liveboard', 'refresh_liveboard', 'browse_schema', 'edit_settings', 'summon_unicorn',
  ),
  tokens: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 250_000 }), fc.constantFrom(999, 1000, 1001, 25_000)),
  feature,
  alreadyPerformed: fc.boolean(),
  member: fc.integer({ min: 0, max: 2 }),
  reuse: fc.oneof(fc.constant(-1), fc.constant(-1), fc.nat(20)),
}).map((s) => (s.action === 'ai_assist' ? s : { ...s, tokens: undefined }));

export const commandArbs: Array<fc.Arbitrary<Cmd>> = [
  fc.tuple(planArb, fc.option(card, { nil: undefined })).map(([p, c]) => new Create({ plan: p.plan, ...(p.enterprise ? { enterprise: p.enterprise } : {}), ...(c ? { paymentMethod: c } : {}) })),
  fc.constant(new RepeatCreate()),
  usageSpec.map((s) => new Usage(s)),
  usageSpec.map((s) => new Usage(s)),
  usageSpec.map((s) => new Usage(s)),
  fc.tuple(usageSpec, fc.integer({ min: 2, max: 5 })).map(([s, n]) => new UsageBurst(s, n)),
  fc.tuple(fc.oneof(fc.integer({ min: 100, max: 5000 }), fc.constantFrom(99, 100, 100_000, 100_001)), fc.oneof(fc.constant(-1), fc.nat(5))).map(([c, r]) => new Purchase(c, r)),
  fc.tuple(fc.oneof(fc.integer({ min: 100, max: 5000 }), fc.constantFrom(99, 100, 100_000, 100_001)), fc.oneof(fc.constant(-1), fc.nat(5))).map(([c, r]) => new Purchase(c, r)),
  planArb.map((p) => new ChangePlan(p.plan, p.enterprise)),
  fc.constant(new Cancel()),
  fc.constant(new Resume()),
  card.map((c) => new PaymentMethod(c)),
  card.map((c) => new PaymentMethod(c)),
  fc.tuple(fc.boolean(), fc.constantFrom(0, 5, 50, 1000)).map(([e, l]) => new OnDemand(e, l)),
  fc.tuple(feature, fc.boolean()).map(([f, e]) => new Feature(f, e)),
  // Minutes (a uniform pick up to 45 days would almost never be one), any time up to 45 days, and whole days.
  fc
    .oneof(fc.integer({ min: 1, max: 120 }), fc.integer({ min: 1, max: 45 * 24 * 60 }), fc.constantFrom(24 * 60, 3 * 24 * 60, 7 * 24 * 60, 31 * 24 * 60))
    .map((min) => new Advance(min * MINUTE, false)),
  fc.constant(new Advance(0, true)),
  fc.constant(new Advance(0, true)),
  fc.constantFrom(DAY, 3 * DAY, 7 * DAY).map((ms) => new Advance(ms, false)),
  fc.tuple(fc.integer({ min: 1, max: 2 }), fc.constantFrom<'before' | 'after'>('before', 'after')).map(([n, when]) => new StripeFault(n, when)),
  fc.tuple(fc.nat(10), fc.integer({ min: 1, max: 3 })).map(([p, n]) => new Webhook(p, n)),
  fc.constant(new RestartWorker()),
];

/** A sequence starts with a sign-up attempt (most commands need a workspace), usually with a working card. */
export const firstCreate = fc
  .tuple(planArb, fc.oneof({ weight: 3, arbitrary: fc.constant<CardId | undefined>('pm_card_visa') }, { weight: 1, arbitrary: fc.option(card, { nil: undefined }) }))
  .map(([p, c]) => new Create({ plan: p.plan, ...(p.enterprise ? { enterprise: p.enterprise } : {}), ...(c ? { paymentMethod: c } : {}) }) as Cmd);

export const newModel = () => new BillingModel();
