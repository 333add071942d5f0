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
import { text } from '../schemas/text';

export const WorkspaceId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$', description: 'workspace id' });
const PlanId = Type.String({ pattern: '^[a-z][a-z0-9_]{0,31}$' });
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

export const CreateWorkspaceBody = Type.Object(
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
  { additionalProperties: false },
);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function lifecycleRoutes(deps: { workflows: BillingWorkflows; pricing: () => PricingConfig; pool: Pool }) {
  const wf = deps.workflows;
  const keyed = keyedRequests(deps.pool);
  return (app: App) => {
    app.post(
      '/v1/workspaces',
      { schema: { tags: ['workspaces'], summary: 'Create a workspace (idempotent by id)', body: CreateWorkspaceBody } },
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
        return reply.status(result.created ? 201 : 200).send(view);
      },
    );

    app.post(
      '/v1/workspaces/:id/plan',
      {
        schema: {
          tags: ['workspaces'],
          summary: 'Change plan: upgrades now (after payment), downgrades at renewal',
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object({ plan: PlanId, enterprise: Type.Optional(Enterprise) }, { additionalProperties: false }),
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
            return { ...r, effectiveAt: iso(r.effectiveAt) };
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
        schema: { tags: ['workspaces'], summary: 'Cancel at the end of the current term', params: IdParams, headers: IdempotencyHeader },
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
        schema: {
          tags: ['workspaces'],
          summary: 'Undo a pending cancellation, or subscribe again during retention',
          params: IdParams,
          headers: IdempotencyHeader,
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
        schema: {
          tags: ['workspaces'],
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object({ paymentMethod: PaymentMethod }, { additionalProperties: false }),
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
        schema: {
          tags: ['workspaces'],
          summary: 'Buy credits (charged at once, granted after payment)',
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object(
            {
              credits: Type.Integer({ description: 'min 100, max 100,000 (pricing config)' }),
              idempotencyKey: text(200, 'names the purchase: a paid key returns the first purchase'),
            },
            { additionalProperties: false },
          ),
        },
      },
      async (req, reply) => {
        const { purchase } = deps.pricing();
        const { credits, idempotencyKey } = req.body;
        if (credits < purchase.minCredits || credits > purchase.maxCredits) {
          throw new CodedError('validation_failed', `credits must be an integer from ${purchase.minCredits} to ${purchase.maxCredits}`);
        }
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
          run: () => wf.purchaseCredits(req.params.id, req.body),
        });
      },
    );

    app.put(
      '/v1/workspaces/:id/on-demand',
      {
        schema: {
          tags: ['workspaces'],
          params: IdParams,
          headers: IdempotencyHeader,
          body: Type.Object(
            { enabled: Type.Boolean(), monthlyLimit: Type.Integer({ minimum: 0, maximum: MAX_ON_DEMAND_LIMIT, description: '0 = unlimited' }) },
            { additionalProperties: false },
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
        schema: {
          tags: ['workspaces'],
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
            { additionalProperties: false },
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
        schema: {
          tags: ['workspaces'],
          params: Type.Object({ id: WorkspaceId, feature: Type.String({ pattern: FEATURE_PATTERN.source, description: 'case-insensitive' }) }),
          headers: IdempotencyHeader,
          body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
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
