// Lifecycle endpoints: each one is an update to the workspace workflow (or
// update-with-start for create); the workflow decides and answers.
import Type from 'typebox';
import type { Pool } from '../../db/pool';
import type { PricingConfig } from '../../domain/pricing';
import { getWorkspaceView } from '../../ledger/workspace-view';
import {
  MAX_ENTERPRISE_CREDITS,
  MAX_ENTERPRISE_PRICE_CENTS,
  MAX_LOW_BALANCE_THRESHOLD,
  MAX_ON_DEMAND_LIMIT,
  validateCreateRequest,
  type CreateWorkspaceRequest,
  type WorkspaceStatus,
} from '../../domain/workspace';
import { checkBillingAddress, COUNTRY_CODES } from '../../domain/billing-address';
import { FEATURE_PATTERN, normalizeFeature } from '../../domain/features';
import type { BillingWorkflows } from '../../temporal/billing-client';
import type { App } from '../app';
import { CodedError } from '../../domain/failure-codes';
import { keyedRequests } from '../keyed-requests';
import {
  CancelAnswer,
  FeaturesAnswer,
  LowBalanceAnswer,
  OnDemandAnswer,
  PaymentMethodAnswer,
  PlanChangeAnswer,
  PurchaseAnswer,
} from '../schemas/lifecycle-answers';
import { text } from '../schemas/text';
import { WorkspaceViewSchema } from '../schemas/workspace-view';
import { chargedBy } from './charged';
import type { FailureCode } from '../../domain/failure-codes';

export const WorkspaceId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'workspace id' });
/** A plan of the pricing catalog. */
const planIdOf = (pricing: PricingConfig) => Type.String({ enum: Object.keys(pricing.plans), description: 'a plan of the pricing catalog' });
const Enterprise = Type.Object(
  {
    monthlyCredits: Type.Integer({ minimum: 0, maximum: MAX_ENTERPRISE_CREDITS }),
    monthlyPriceCents: Type.Integer({ minimum: 0, maximum: MAX_ENTERPRISE_PRICE_CENTS, description: 'at most one Stripe charge: $999,999.99' }),
  },
  { additionalProperties: false },
);
const PaymentMethod = Type.String({ pattern: '^pm_[A-Za-z0-9_]{1,200}$', description: 'Stripe payment method id' });
const IdParams = Type.Object({ id: WorkspaceId });
const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' })),
});

const createWorkspaceBody = (PlanId: ReturnType<typeof planIdOf>) => Type.Object(
  {
    id: WorkspaceId,
    name: text(200),
    billingEmail: Type.String({ format: 'email', maxLength: 254 }),
    billingAddress: Type.Object(
      {
        country: Type.String({ enum: [...COUNTRY_CODES], description: 'ISO 3166-1 alpha-2 country code, upper case (e.g. US, DE)' }),
        region: Type.Optional(Type.String({ pattern: '^[A-Z0-9]{1,3}$' })),
        postalCode: Type.Optional(text(20)),
        line1: Type.Optional(text(200)),
        city: Type.Optional(text(100)),
        taxId: Type.Optional(
          text(32, "the customer's VAT or tax ID, checked for the billing country (format and check digits), e.g. DE136695976 or 12-3456789 (US EIN)"),
        ),
      },
      { additionalProperties: false },
    ),
    plan: PlanId,
    enterprise: Type.Optional(Enterprise),
    paymentMethod: Type.Optional(PaymentMethod),
  },
  {
    additionalProperties: false,
    examples: [
      {
        id: 'acme',
        name: 'Acme Inc.',
        billingEmail: 'finance@acme.example',
        billingAddress: { country: 'US', region: 'NY', city: 'New York', postalCode: '10001', line1: '350 Fifth Avenue' },
        plan: 'pro',
        paymentMethod: 'pm_card_visa',
      },
    ],
  },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Refusals every request to a workspace's workflow can meet. */
const WORKFLOW_REFUSALS: FailureCode[] = ['not_found', 'invalid_state', 'conflict', 'idempotency_conflict', 'still_processing'];
const PAYMENT_REFUSALS: FailureCode[] = ['payment_method_required', 'payment_failed', 'payment_method_rejected', 'payment_required'];

const ENTERPRISE_RULE =
  "plan 'enterprise' needs `enterprise` terms and only it takes them (422 validation_failed); " +
  'a plan that costs money needs a card: `paymentMethod` on create, PUT /v1/workspaces/{id}/payment-method otherwise (422 payment_method_required)';

export function lifecycleRoutes(deps: { workflows: BillingWorkflows; pricing: () => PricingConfig; pool: Pool }) {
  const wf = deps.workflows;
  const keyed = keyedRequests(deps.pool);
  const PlanId = planIdOf(deps.pricing());
  const { minCredits, maxCredits } = deps.pricing().purchase;
  return (app: App) => {
    app.post(
      '/v1/workspaces',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, ...PAYMENT_REFUSALS, 'validation_failed', 'workspace_id_retired'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'createWorkspace',
          summary: 'Create a workspace (idempotent by id: the same body again answers 200)',
          'x-refusal': ENTERPRISE_RULE,
          body: createWorkspaceBody(PlanId),
          response: {
            201: { ...WorkspaceViewSchema, description: 'Created (the first payment, if any, went through)' },
            200: { ...WorkspaceViewSchema, description: 'Already created with this body' },
          },
        },
      },
      async (req, reply) => {
        const sent = req.body as CreateWorkspaceRequest;
        // The workflow gets the tax ID in its canonical spelling: the same customer sent twice is the same request.
        const body: CreateWorkspaceRequest = { ...sent, billingAddress: checkBillingAddress(sent.billingAddress) };
        // Checked here as well as in the workflow: update-with-start would start a workflow before refusing.
        validateCreateRequest(deps.pricing(), body);
        // A purged workspace keeps its id (its invoices refer to it): the id is not reused.
        // A refused sign-up (`signup_failed`) created nothing: its id is free.
        const { rows } = await deps.pool.query<{ status: WorkspaceStatus }>(`SELECT status FROM workspaces WHERE id = $1`, [body.id]);
        if (rows[0]?.status === 'deleted') {
          throw new CodedError('workspace_id_retired', `workspace '${body.id}' was deleted after its retention period; choose another id`);
        }
        const result = await wf.createWorkspace(body);
        // Answer with the same view GET /v1/workspaces/:id gives (balance included).
        const view = await getWorkspaceView(deps.pool, body.id);
        if (!view) throw new Error(`workspace '${body.id}' was created but its read model has no row`);
        return reply.status(result.created ? 201 : 200).send(view);
      },
    );

    app.post(
      '/v1/workspaces/:id/plan',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, ...PAYMENT_REFUSALS, 'validation_failed', 'renewal_pending'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'changePlan',
          summary: 'Change plan: upgrades now (after payment), downgrades at renewal; the current plan again withdraws a scheduled change',
          'x-refusal': ENTERPRISE_RULE,
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object({ plan: PlanId, enterprise: Type.Optional(Enterprise) }, { additionalProperties: false, examples: [{ plan: 'growth' }] }),
          response: { 200: PlanChangeAnswer },
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'POST /v1/workspaces/:id/plan',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: req.body,
          status: 200,
          run: async (requestId) => {
            const r = await wf.changePlan(req.params.id, req.body, requestId);
            const charged = r.invoiceId ? await chargedBy(deps.pool, r.invoiceId) : {};
            return { ...r, ...charged, effectiveAt: iso(r.effectiveAt) };
          },
        }),
    );

    // Cancel and resume take no body: a body means the client expects options these endpoints do not have.
    const noBody = async (req: { body: unknown }) => {
      const empty = req.body === undefined || (typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) && Object.keys(req.body).length === 0);
      if (!empty) throw new CodedError('validation_failed', 'this endpoint takes no body: send none, or {}');
    };
    const cancelAnswer = (r: { status: string; cancelAt: number | null; retentionUntil: number | null }) => ({
      status: r.status,
      cancelAt: iso(r.cancelAt),
      retentionUntil: iso(r.retentionUntil),
    });
    app.post(
      '/v1/workspaces/:id/cancel',
      {
        preValidation: noBody,
        config: { refusals: [...WORKFLOW_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'cancelWorkspace',
          summary: 'Cancel at the end of the current term (takes no body)',
          params: IdParams,
          headers: IdempotencyHeader,
          response: { 200: CancelAnswer },
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'POST /v1/workspaces/:id/cancel',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: {},
          status: 200,
          run: async (requestId) => cancelAnswer(await wf.cancel(req.params.id, requestId)),
        }),
    );
    app.post(
      '/v1/workspaces/:id/resume',
      {
        preValidation: noBody,
        config: { refusals: [...WORKFLOW_REFUSALS, ...PAYMENT_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'resumeWorkspace',
          summary: 'Undo a pending cancellation, or subscribe again during retention (takes no body)',
          params: IdParams,
          headers: IdempotencyHeader,
          response: { 200: CancelAnswer },
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'POST /v1/workspaces/:id/resume',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: {},
          status: 200,
          run: async (requestId) => cancelAnswer(await wf.resume(req.params.id, requestId)),
        }),
    );

    app.put(
      '/v1/workspaces/:id/payment-method',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, 'payment_method_rejected', 'payment_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'setPaymentMethod',
          summary: "Set the workspace's card (a Stripe payment method); unpaid invoices are charged again at once",
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object({ paymentMethod: PaymentMethod }, { additionalProperties: false, examples: [{ paymentMethod: 'pm_card_visa' }] }),
          response: { 200: PaymentMethodAnswer },
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'PUT /v1/workspaces/:id/payment-method',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: req.body,
          status: 200,
          run: (requestId) => wf.setPaymentMethod(req.params.id, req.body.paymentMethod, requestId),
        }),
    );

    app.post(
      '/v1/workspaces/:id/purchases',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, ...PAYMENT_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'purchaseCredits',
          summary: 'Buy credits (charged at once, tax included; granted after payment)',
          'x-refusal': 'an Idempotency-Key header, when sent, must equal the body\'s idempotencyKey (422 validation_failed)',
          params: IdParams,
          headers: IdempotencyHeader,
          response: { 201: PurchaseAnswer },
          body: Type.Object(
            {
              credits: Type.Integer({ minimum: minCredits, maximum: maxCredits, description: 'from the pricing config: purchase.minCredits to purchase.maxCredits' }),
              idempotencyKey: text(200, 'names the purchase: a paid key returns the first purchase'),
            },
            { additionalProperties: false, examples: [{ credits: 1000, idempotencyKey: 'buy-1000-2026-01' }] },
          ),
        },
      },
      async (req, reply) => {
        const { idempotencyKey } = req.body;
        const header = req.headers['idempotency-key'];
        if (header !== undefined && header !== idempotencyKey) {
          throw new CodedError('validation_failed', 'the Idempotency-Key header and the body\'s idempotencyKey differ: a purchase is named by its idempotencyKey (send the header with the same value, or not at all)');
        }
        // The body's key names the purchase; every attempt is a new update (a refused one may be retried with the same key).
        return keyed(reply, {
          route: 'POST /v1/workspaces/:id/purchases',
          workspaceId: req.params.id,
          key: idempotencyKey,
          request: req.body,
          status: 201,
          run: async () => {
            const r = await wf.purchaseCredits(req.params.id, req.body);
            return { ...r, ...(await chargedBy(deps.pool, r.invoiceId)) };
          },
        });
      },
    );

    app.put(
      '/v1/workspaces/:id/on-demand',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'setOnDemand',
          summary: 'Switch on-demand (overage) usage and its monthly limit',
          params: IdParams,
          headers: IdempotencyHeader,
          response: { 200: OnDemandAnswer },
          body: Type.Object(
            { enabled: Type.Boolean(), monthlyLimit: Type.Integer({ minimum: 0, maximum: MAX_ON_DEMAND_LIMIT, description: '0 = unlimited' }) },
            { additionalProperties: false, examples: [{ enabled: true, monthlyLimit: 500 }] },
          ),
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'PUT /v1/workspaces/:id/on-demand',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: req.body,
          status: 200,
          run: (requestId) => wf.setOnDemand(req.params.id, req.body, requestId),
        }),
    );

    app.put(
      '/v1/workspaces/:id/low-balance',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'setLowBalanceThreshold',
          response: { 200: LowBalanceAnswer },
          summary: 'Set the credits.low threshold (rule 11); null restores the default percentage of the plan',
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object(
            {
              threshold: Type.Union([
                Type.Integer({ minimum: 0, maximum: MAX_LOW_BALANCE_THRESHOLD, description: 'credits: credits.low when plan + purchased falls below it' }),
                Type.Null({ description: 'the default: 10% of the plan allocation (pricing config lowBalancePercent)' }),
              ]),
            },
            { additionalProperties: false, examples: [{ threshold: 50 }] },
          ),
        },
      },
      async (req, reply) =>
        keyed(reply, {
          route: 'PUT /v1/workspaces/:id/low-balance',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: req.body,
          status: 200,
          run: (requestId) => wf.setLowBalanceThreshold(req.params.id, req.body, requestId),
        }),
    );

    app.put(
      '/v1/workspaces/:id/features/:feature',
      {
        config: { refusals: [...WORKFLOW_REFUSALS, 'validation_failed'] },
        schema: {
          tags: ['workspaces'],
          operationId: 'setFeature',
          summary: 'Switch AI usage of one feature (module) on or off',
          response: { 200: FeaturesAnswer },
          params: Type.Object({ id: WorkspaceId, feature: Type.String({ pattern: FEATURE_PATTERN.source, description: 'case-insensitive' }) }),
          headers: IdempotencyHeader,
          body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false, examples: [{ enabled: false }] }),
        },
      },
      async (req, reply) => {
        const feature = normalizeFeature(req.params.feature);
        return keyed(reply, {
          route: 'PUT /v1/workspaces/:id/features/:feature',
          workspaceId: req.params.id,
          key: req.headers['idempotency-key'],
          request: { feature, ...req.body },
          status: 200,
          run: (requestId) => wf.setFeature(req.params.id, feature, req.body.enabled, requestId),
        });
      },
    );
  };
}
