// The sandbox's Stripe objects (customers, payment methods, PaymentIntents)
// and the API operations on them. Outcomes follow Stripe's test payment
// methods; objects carry the fields our code and the official client read.
import { randomBytes } from 'node:crypto';
import { invalidRequest, noSuch, StripeApiError } from './errors';
import type { FormObject } from './form';
import { allowOnly, optBool, optInt, optMetadata, optObject, optString, optStringArray, reqString } from './params';
import { TEST_CARDS, type CardOutcome } from './test-cards';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function newId(prefix: string): string {
  const bytes = randomBytes(24);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${prefix}_${s}`;
}

/** The sandbox's clock in epoch ms (tests move it forward to age idempotency keys). */
export type Clock = () => number;

export interface Customer {
  id: string;
  object: 'customer';
  created: number;
  email: string | null;
  name: string | null;
  description: string | null;
  metadata: Record<string, string>;
  invoice_settings: { default_payment_method: string | null; custom_fields: null; footer: null; rendering_options: null };
  balance: number;
  currency: string | null;
  delinquent: boolean;
  livemode: false;
}

export interface PaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  created: number;
  customer: string | null;
  card: { brand: string; last4: string; exp_month: number; exp_year: number; funding: 'credit'; country: 'US' };
  billing_details: { address: null; email: null; name: null; phone: null };
  metadata: Record<string, string>;
  livemode: false;
}

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  payment_method: string | null;
  payment_method_types: string[];
  automatic_payment_methods: { enabled: boolean; allow_redirects?: string } | null;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';
  capture_method: 'automatic_async';
  confirmation_method: 'automatic';
  created: number;
  description: string | null;
  metadata: Record<string, string>;
  last_payment_error: Record<string, unknown> | null;
  next_action: Record<string, unknown> | null;
  latest_charge: string | null;
  client_secret: string;
  setup_future_usage: string | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  livemode: false;
}

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded';
  metadata: Record<string, string>;
  created: number;
}

/** One charge attempt on a card (the sandbox's own record, for the control API). */
export interface ChargeRecord {
  id: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  customer: string | null;
  status: 'succeeded' | 'failed';
  failureCode: string | null;
  metadata: Record<string, string>;
  created: number;
  /** Absent in state files written before refunds existed. */
  amountRefunded?: number;
  /** The cardholder disputed it: Stripe refuses refunds of a disputed charge (the dispute settles it). */
  disputed?: boolean;
}

export interface SandboxData {
  customers: Record<string, Customer>;
  paymentMethods: Record<string, PaymentMethod>;
  /** payment method id -> the Stripe test payment method it was made from */
  testCardOf: Record<string, string>;
  paymentIntents: Record<string, PaymentIntent>;
  charges: ChargeRecord[];
  /** Absent in state files written before refunds existed. */
  refunds?: Record<string, Refund>;
}

export const emptyData = (): SandboxData => ({ customers: {}, paymentMethods: {}, testCardOf: {}, paymentIntents: {}, charges: [], refunds: {} });

export type EmitEvent = (type: string, object: object) => void;

const MIN_USD_CHARGE = 50;
const MAX_CHARGE = 99_999_999;

export class SandboxObjects {
  constructor(
    public data: SandboxData,
    private readonly emit: EmitEvent,
    private readonly now: Clock = Date.now,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  createCustomer(p: FormObject): Customer {
    allowOnly(p, ['email', 'name', 'description', 'metadata', 'phone', 'address', 'payment_method', 'invoice_settings', 'expand']);
    const customer: Customer = {
      id: newId('cus'),
      object: 'customer',
      created: this.nowSeconds(),
      email: optString(p, 'email') ?? null,
      name: optString(p, 'name') ?? null,
      description: optString(p, 'description') ?? null,
      metadata: optMetadata(p) ?? {},
      invoice_settings: { default_payment_method: null, custom_fields: null, footer: null, rendering_options: null },
      balance: 0,
      currency: null,
      delinquent: false,
      livemode: false,
    };
    this.data.customers[customer.id] = customer;
    const pm = optString(p, 'payment_method');
    if (pm) this.attachPaymentMethod(pm, { customer: customer.id });
    this.applyInvoiceSettings(customer, p);
    return customer;
  }

  customer(id: string, param?: string): Customer {
    const c = this.data.customers[id];
    if (!c) throw noSuch('customer', id, param);
    return c;
  }

  updateCustomer(id: string, p: FormObject): Customer {
    allowOnly(p, ['email', 'name', 'description', 'metadata', 'phone', 'address', 'invoice_settings', 'expand']);
    const c = this.customer(id);
    const email = optString(p, 'email');
    const name = optString(p, 'name');
    const description = optString(p, 'description');
    if (email !== undefined) c.email = email || null;
    if (name !== undefined) c.name = name || null;
    if (description !== undefined) c.description = description || null;
    const metadata = optMetadata(p);
    if (metadata) c.metadata = { ...c.metadata, ...metadata };
    this.applyInvoiceSettings(c, p);
    return c;
  }

  private applyInvoiceSettings(c: Customer, p: FormObject): void {
    const settings = optObject(p, 'invoice_settings');
    if (!settings) return;
    allowOnly(settings, ['default_payment_method', 'custom_fields', 'footer', 'rendering_options']);
    const pmId = optString(settings, 'default_payment_method');
    if (pmId === undefined) return;
    if (pmId === '') {
      c.invoice_settings.default_payment_method = null;
      return;
    }
    const pm = this.data.paymentMethods[pmId];
    if (!pm || pm.customer !== c.id) {
      throw invalidRequest(
        `The customer does not have a payment method with the ID ${pmId}. The payment method must be attached to the customer.`,
        { param: 'invoice_settings[default_payment_method]', code: 'resource_missing' },
      );
    }
    c.invoice_settings.default_payment_method = pmId;
  }

  /** An existing payment method, or a new one made from a test payment method id (as Stripe does). */
  private resolvePaymentMethod(id: string, param?: string): PaymentMethod {
    const existing = this.data.paymentMethods[id];
    if (existing) return existing;
    const card = TEST_CARDS[id];
    if (!card) throw noSuch('PaymentMethod', id, param);
    const pm: PaymentMethod = {
      id: newId('pm'),
      object: 'payment_method',
      type: 'card',
      created: this.nowSeconds(),
      customer: null,
      card: { brand: card.brand, last4: card.last4, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, funding: 'credit', country: 'US' },
      billing_details: { address: null, email: null, name: null, phone: null },
      metadata: {},
      livemode: false,
    };
    this.data.paymentMethods[pm.id] = pm;
    this.data.testCardOf[pm.id] = id;
    return pm;
  }

  paymentMethod(id: string): PaymentMethod {
    const pm = this.data.paymentMethods[id];
    if (!pm) throw noSuch('PaymentMethod', id);
    return pm;
  }

  /** As Stripe: the card is checked on attach, so decline cards are refused here (all but pm_card_chargeCustomerFail). */
  attachPaymentMethod(id: string, p: FormObject): PaymentMethod {
    allowOnly(p, ['customer', 'expand']);
    const customer = this.customer(reqString(p, 'customer'), 'customer');
    if (!this.data.paymentMethods[id] && !TEST_CARDS[id]) throw noSuch('PaymentMethod', id);
    const pm = this.resolvePaymentMethod(id);
    const outcome = this.outcomeOf(pm);
    if (outcome.kind === 'decline' && outcome.atAttach) {
      throw new StripeApiError(402, {
        type: 'card_error',
        code: 'card_declined',
        decline_code: outcome.declineCode,
        message: outcome.message,
        param: '',
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
      });
    }
    if (pm.customer && pm.customer !== customer.id) {
      throw invalidRequest('The payment method you provided has already been attached to a customer.', { code: 'payment_method_unexpected_state' });
    }
    pm.customer = customer.id;
    return pm;
  }

  detachPaymentMethod(id: string, p: FormObject): PaymentMethod {
    allowOnly(p, ['expand']);
    const pm = this.paymentMethod(id);
    if (!pm.customer) throw invalidRequest('The payment method you provided is not attached to a customer so detachment is impossible.', { code: 'payment_method_unexpected_state' });
    const c = this.data.customers[pm.customer];
    if (c?.invoice_settings.default_payment_method === pm.id) c.invoice_settings.default_payment_method = null;
    pm.customer = null;
    return pm;
  }

  paymentIntent(id: string): PaymentIntent {
    const pi = this.data.paymentIntents[id];
    if (!pi) throw noSuch('payment_intent', id);
    return pi;
  }

  createPaymentIntent(p: FormObject): PaymentIntent {
    allowOnly(p, [
      'amount', 'currency', 'customer', 'payment_method', 'payment_method_types', 'allowed_payment_method_types',
      'automatic_payment_methods', 'confirm',
      'off_session', 'description', 'metadata', 'receipt_email', 'statement_descriptor', 'statement_descriptor_suffix',
      'capture_method', 'confirmation_method', 'setup_future_usage', 'error_on_requires_action', 'return_url', 'expand',
    ]);
    const confirm = optBool(p, 'confirm') ?? false;
    if (optString(p, 'off_session') !== undefined && !confirm) {
      throw invalidRequest('You may only specify `off_session` when `confirm` is true.', { param: 'off_session' });
    }
    const amount = optInt(p, 'amount');
    if (amount === undefined) throw invalidRequest('Missing required param: amount.', { param: 'amount', code: 'parameter_missing' });
    const currency = reqString(p, 'currency').toLowerCase();
    if (!/^[a-z]{3}$/.test(currency)) throw invalidRequest(`Invalid currency: ${currency}.`, { param: 'currency' });
    if (currency === 'usd' && amount < MIN_USD_CHARGE) {
      throw invalidRequest('Amount must be at least $0.50 usd', { param: 'amount', code: 'amount_too_small' });
    }
    if (amount < 1 || amount > MAX_CHARGE) throw invalidRequest('Amount must be no more than $999,999.99', { param: 'amount', code: 'amount_too_large' });
    const customerId = optString(p, 'customer');
    if (customerId) this.customer(customerId, 'customer');
    const pmId = optString(p, 'payment_method');
    const pm = pmId ? this.resolvePaymentMethod(pmId, 'payment_method') : undefined;
    if (pm?.customer && customerId && pm.customer !== customerId) {
      throw invalidRequest(`The provided PaymentMethod ${pm.id} belongs to another customer.`, { param: 'payment_method' });
    }
    const types = optStringArray(p, 'payment_method_types') ?? optStringArray(p, 'allowed_payment_method_types');
    const apm = optObject(p, 'automatic_payment_methods');
    const automatic = types ? null : { enabled: apm ? optBool(apm, 'enabled') !== false : true, allow_redirects: apm ? optString(apm, 'allow_redirects') ?? 'always' : 'always' };
    const pi: PaymentIntent = {
      id: newId('pi'),
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      currency,
      customer: customerId ?? null,
      payment_method: pm?.id ?? null,
      payment_method_types: types ?? ['card'],
      automatic_payment_methods: automatic,
      status: pm ? 'requires_confirmation' : 'requires_payment_method',
      capture_method: 'automatic_async',
      confirmation_method: 'automatic',
      created: this.nowSeconds(),
      description: optString(p, 'description') ?? null,
      metadata: optMetadata(p) ?? {},
      last_payment_error: null,
      next_action: null,
      latest_charge: null,
      client_secret: '',
      setup_future_usage: optString(p, 'setup_future_usage') ?? null,
      canceled_at: null,
      cancellation_reason: null,
      livemode: false,
    };
    pi.client_secret = `${pi.id}_secret_${newId('s').slice(2)}`;
    this.data.paymentIntents[pi.id] = pi;
    this.emit('payment_intent.created', pi);
    if (confirm) this.confirm(pi, optString(p, 'return_url'), isOffSession(p));
    return pi;
  }

  confirmPaymentIntent(id: string, p: FormObject): PaymentIntent {
    allowOnly(p, ['payment_method', 'off_session', 'return_url', 'expand', 'error_on_requires_action']);
    const pi = this.paymentIntent(id);
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status)) {
      throw invalidRequest(`You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`, {
        code: 'payment_intent_unexpected_state',
        payment_intent: { ...pi },
      });
    }
    const pmId = optString(p, 'payment_method');
    if (pmId) pi.payment_method = this.resolvePaymentMethod(pmId, 'payment_method').id;
    this.confirm(pi, optString(p, 'return_url'), isOffSession(p));
    return pi;
  }

  /**
   * Runs the charge on the PaymentIntent's card; a decline throws Stripe's 402 card error.
   * A card that needs 3-D Secure asks for action on-session; off-session nobody can
   * authenticate, so Stripe declines it with `authentication_required`.
   */
  private confirm(pi: PaymentIntent, returnUrl: string | undefined, offSession: boolean): void {
    if (!pi.payment_method) {
      throw invalidRequest(
        "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent with a customer, pass the payment method ID.",
        { code: 'payment_intent_unexpected_state' },
      );
    }
    if (pi.automatic_payment_methods?.enabled && pi.automatic_payment_methods.allow_redirects !== 'never' && !returnUrl) {
      throw invalidRequest(
        "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      );
    }
    const pm = this.paymentMethod(pi.payment_method);
    const outcome = this.outcomeOf(pm);
    pi.next_action = null;
    if (outcome.kind === 'requires_action' && !offSession) {
      pi.status = 'requires_action';
      pi.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: 'https://hooks.stripe.com/sandbox/3ds' } };
      this.emit('payment_intent.requires_action', pi);
      return;
    }
    if (outcome.kind === 'succeed') {
      this.succeed(pi);
      return;
    }
    const decline =
      outcome.kind === 'decline'
        ? { code: 'card_declined', declineCode: outcome.declineCode, message: outcome.message, doc: 'card-declined' }
        : {
            code: 'authentication_required',
            declineCode: 'authentication_required',
            message: 'Your card was declined. This transaction requires authentication.',
            doc: 'authentication-required',
          };
    const charge = this.recordCharge(pi, 'failed', decline.declineCode);
    const error = {
      type: 'card_error',
      code: decline.code,
      decline_code: decline.declineCode,
      message: decline.message,
      charge: charge.id,
      doc_url: `https://stripe.com/docs/error-codes/${decline.doc}`,
      payment_method: { ...pm },
    };
    pi.status = 'requires_payment_method';
    pi.last_payment_error = error;
    this.emit('payment_intent.payment_failed', pi);
    throw new StripeApiError(402, { ...error, payment_intent: structuredClone(pi) });
  }

  private outcomeOf(pm: PaymentMethod): CardOutcome {
    return TEST_CARDS[this.data.testCardOf[pm.id] ?? '']?.outcome ?? { kind: 'succeed' };
  }

  private recordCharge(pi: PaymentIntent, status: ChargeRecord['status'], failureCode: string | null): ChargeRecord {
    const charge: ChargeRecord = {
      id: newId('ch'),
      paymentIntentId: pi.id,
      amount: pi.amount,
      currency: pi.currency,
      customer: pi.customer,
      status,
      failureCode,
      metadata: { ...pi.metadata },
      created: this.nowSeconds(),
      amountRefunded: 0,
    };
    this.data.charges.push(charge);
    pi.latest_charge = charge.id;
    return charge;
  }

  private succeed(pi: PaymentIntent): void {
    this.recordCharge(pi, 'succeeded', null);
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    pi.last_payment_error = null;
    pi.next_action = null;
    this.emit('payment_intent.succeeded', pi);
  }

  /**
   * Not an API call: the customer completes a PaymentIntent later, on-session (answers the
   * 3-D Secure challenge, or pays it from a payment link with a working card). Tests use it
   * for a success that arrives after our side gave the sale up.
   */
  completePaymentIntent(id: string): PaymentIntent {
    const pi = this.paymentIntent(id);
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(pi.status) || !pi.payment_method) {
      throw invalidRequest(`You cannot confirm this PaymentIntent because it has a status of ${pi.status}.`, { code: 'payment_intent_unexpected_state' });
    }
    this.succeed(pi);
    return pi;
  }

  cancelPaymentIntent(id: string, p: FormObject): PaymentIntent {
    allowOnly(p, ['cancellation_reason', 'expand']);
    const reason = optString(p, 'cancellation_reason') ?? null;
    if (reason !== null && !CANCELLATION_REASONS.includes(reason)) {
      throw invalidRequest(`Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`, { param: 'cancellation_reason' });
    }
    const pi = this.paymentIntent(id);
    if (!CANCELLABLE.includes(pi.status)) {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELLABLE.join(', ')}.`,
        { code: 'payment_intent_unexpected_state', payment_intent: structuredClone(pi) },
      );
    }
    pi.status = 'canceled';
    pi.canceled_at = this.nowSeconds();
    pi.cancellation_reason = reason;
    pi.next_action = null;
    this.emit('payment_intent.canceled', pi);
    return pi;
  }

  /** GET /v1/payment_intents: newest first, filtered by customer and `created`, paged by `starting_after` (strongly consistent, as Stripe's list). */
  listPaymentIntents(p: FormObject): { object: 'list'; url: string; has_more: boolean; data: PaymentIntent[] } {
    allowOnly(p, ['customer', 'created', 'limit', 'starting_after', 'ending_before', 'expand']);
    const limit = optInt(p, 'limit') ?? 10;
    if (limit < 1 || limit > 100) throw invalidRequest('This value must be between 1 and 100 (it currently is out of range).', { param: 'limit' });
    const customer = optString(p, 'customer');
    const created = optObject(p, 'created');
    const bound = (op: string) => (created ? optInt(created, op) : undefined);
    const [gte, gt, lte, lt] = ['gte', 'gt', 'lte', 'lt'].map(bound);
    let all = Object.values(this.data.paymentIntents)
      .reverse()
      .filter(
        (pi) =>
          (!customer || pi.customer === customer) &&
          (gte === undefined || pi.created >= gte) &&
          (gt === undefined || pi.created > gt) &&
          (lte === undefined || pi.created <= lte) &&
          (lt === undefined || pi.created < lt),
      );
    const after = optString(p, 'starting_after');
    if (after) {
      const at = all.findIndex((pi) => pi.id === after);
      if (at < 0) throw noSuch('payment_intent', after, 'starting_after');
      all = all.slice(at + 1);
    }
    return { object: 'list', url: '/v1/payment_intents', has_more: all.length > limit, data: all.slice(0, limit) };
  }

  /** POST /v1/refunds for a PaymentIntent's successful charge (all of what is left of it by default). */
  createRefund(p: FormObject): Refund {
    allowOnly(p, ['payment_intent', 'amount', 'reason', 'metadata', 'expand']);
    const pi = this.paymentIntent(reqString(p, 'payment_intent'));
    const charge = this.data.charges.find((c) => c.id === pi.latest_charge && c.status === 'succeeded');
    if (pi.status !== 'succeeded' || !charge) {
      throw invalidRequest(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, { code: 'charge_not_refundable' });
    }
    if (charge.disputed) throw invalidRequest(`Charge ${charge.id} has been charged back; cannot issue a refund.`, { code: 'charge_disputed' });
    const left = charge.amount - (charge.amountRefunded ?? 0);
    if (left === 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = optInt(p, 'amount') ?? left;
    if (amount < 1 || amount > left) {
      throw invalidRequest(`Refund amount ($${(amount / 100).toFixed(2)}) is greater than unrefunded amount on charge ($${(left / 100).toFixed(2)})`, { param: 'amount', code: 'amount_too_large' });
    }
    const reason = optString(p, 'reason') ?? null;
    if (reason !== null && !REFUND_REASONS.includes(reason)) throw invalidRequest(`Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`, { param: 'reason' });
    charge.amountRefunded = (charge.amountRefunded ?? 0) + amount;
    const refund: Refund = {
      id: newId('re'),
      object: 'refund',
      amount,
      currency: pi.currency,
      charge: charge.id,
      payment_intent: pi.id,
      reason,
      status: 'succeeded',
      metadata: optMetadata(p) ?? {},
      created: this.nowSeconds(),
    };
    (this.data.refunds ??= {})[refund.id] = refund;
    this.emit('refund.created', refund);
    return refund;
  }

  /** The cardholder disputes the PaymentIntent's successful charge (a chargeback). */
  disputeCharge(paymentIntentId: string): void {
    const pi = this.paymentIntent(paymentIntentId);
    const charge = this.data.charges.find((c) => c.id === pi.latest_charge && c.status === 'succeeded');
    if (!charge) throw invalidRequest(`This PaymentIntent (${pi.id}) has no successful charge to dispute.`);
    charge.disputed = true;
  }

  refund(id: string): Refund {
    const r = this.data.refunds?.[id];
    if (!r) throw noSuch('refund', id);
    return r;
  }
}

const CANCELLABLE: string[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];
const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

/** `off_session` is true, or one of Stripe's older `one_off` / `recurring`. */
function isOffSession(p: FormObject): boolean {
  const v = optString(p, 'off_session');
  return v !== undefined && v !== 'false';
}
