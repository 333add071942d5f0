// The last touches of the OpenAPI document @fastify/swagger builds from the
// route schemas: error answers point at the shared `Error` component (each
// naming the codes it can carry), and responses link to the operations their
// ids feed (create -> read, usage, purchase, ...), for clients and for
// Schemathesis's stateful tests.
import { ERROR_SCHEMA_MARK } from './schemas/errors';

type Json = Record<string, unknown>;

const ERROR_COMPONENT = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'machine-readable; the list per status is on each response' },
        message: { type: 'string', description: 'for people: what was refused and what to do' },
      },
      additionalProperties: true,
    },
  },
  description: 'Every refusal and failure: {"error": {"code", "message", ...details}}',
};

const workspaceId = { id: '$response.body#/id' };
const sameWorkspace = { id: '$request.path.id' };

/** A link per operation the id feeds, named after it (getWorkspace -> GetWorkspace). */
const linksTo = (operationIds: string[], parameters: Record<string, string>) =>
  Object.fromEntries(operationIds.map((operationId) => [operationId[0]!.toUpperCase() + operationId.slice(1), { operationId, parameters }]));

/** Operations a new workspace's id feeds. */
const WORKSPACE_OPERATIONS = [
  'getWorkspace',
  'recordUsage',
  'getUsageSummary',
  'getUsageHistory',
  'setPaymentMethod',
  'purchaseCredits',
  'changePlan',
  'setOnDemand',
  'setLowBalanceThreshold',
  'cancelWorkspace',
  'listInvoices',
  'exportWorkspace',
];

/** Links per operation and success status. */
const LINKS: Record<string, Record<string, Record<string, Json>>> = {
  createWorkspace: Object.fromEntries(
    ['201', '200'].map((status) => [
      status,
      { ...linksTo(WORKSPACE_OPERATIONS, workspaceId), ...linksTo(['setFeature'], { ...workspaceId, feature: 'chat' }) },
    ]),
  ),
  purchaseCredits: {
    '201': { ...linksTo(['getInvoice', 'getInvoicePdf'], { id: '$response.body#/invoiceId' }), ...linksTo(['getWorkspace'], sameWorkspace) },
  },
  setPaymentMethod: { '200': linksTo(['purchaseCredits', 'changePlan'], sameWorkspace) },
  cancelWorkspace: { '200': linksTo(['resumeWorkspace'], sameWorkspace) },
  recordUsage: { '200': linksTo(['getUsageHistory'], sameWorkspace) },
};

/** Error answers as `Error` narrowed to their codes. */
function pointErrorsAtComponent(response: Json): void {
  const content = response.content as Record<string, { schema?: Json }> | undefined;
  for (const media of Object.values(content ?? {})) {
    const codes = media.schema?.[ERROR_SCHEMA_MARK] as string[] | undefined;
    if (!codes) continue;
    media.schema = {
      allOf: [
        { $ref: '#/components/schemas/Error' },
        { type: 'object', properties: { error: { type: 'object', properties: { code: { enum: codes } } } } },
      ],
    };
  }
}

/**
 * The webhook reads its raw bytes (the signature covers them), so no body
 * schema validates it; its request body is described here.
 */
const WEBHOOK_BODY = {
  required: true,
  description: 'A Stripe event, as Stripe sends it (verified against Stripe-Signature on its raw bytes)',
  content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
};

export function finishDocument(doc: Json): Json {
  const components = (doc.components ??= {}) as Json;
  components.schemas = { ...((components.schemas as Json | undefined) ?? {}), Error: ERROR_COMPONENT };
  for (const operations of Object.values((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const op of Object.values(operations)) {
      const responses = (op.responses ?? {}) as Record<string, Json>;
      for (const response of Object.values(responses)) pointErrorsAtComponent(response);
      if (op.operationId === 'receiveStripeWebhook') op.requestBody = WEBHOOK_BODY;
      const links = LINKS[op.operationId as string];
      for (const [status, set] of Object.entries(links ?? {})) if (responses[status]) responses[status].links = set;
    }
  }
  return doc;
}
