// Stripe's error responses: `{"error": {type, code, message, param, ...}}`
// with Stripe's status codes, so the official client raises the same
// StripeError subclasses it raises against Stripe.

export class StripeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: Record<string, unknown>,
  ) {
    super(String(body.message));
  }

  toJSON() {
    return { error: this.body };
  }
}

const DOCS = 'https://stripe.com/docs/error-codes';

export const invalidRequest = (message: string, extra: Record<string, unknown> = {}) =>
  new StripeApiError(400, { type: 'invalid_request_error', message, ...extra });

export const unknownParameter = (param: string) =>
  invalidRequest(`Received unknown parameter: ${param}`, { param, code: 'parameter_unknown', doc_url: `${DOCS}/parameter-unknown` });

export const missingParameter = (param: string) =>
  invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing', doc_url: `${DOCS}/parameter-missing` });

export const invalidInteger = (param: string, value: string) =>
  invalidRequest(`Invalid integer: ${value}`, { param, code: 'parameter_invalid_integer' });

export const invalidBoolean = (param: string, value: string) =>
  invalidRequest(`Invalid boolean: ${value}`, { param, code: 'parameter_invalid_empty' });

/** A referenced object that does not exist, as a parameter (400) or as the URL's object (404). */
export function noSuch(kind: string, id: string, param?: string) {
  const body = { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, doc_url: `${DOCS}/resource-missing`, ...(param ? { param } : {}) };
  return new StripeApiError(param ? 400 : 404, body);
}

export const notFoundUrl = (method: string, path: string) =>
  new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });

export const idempotencyMismatch = (key: string) =>
  new StripeApiError(400, {
    type: 'idempotency_error',
    message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
  });

export const idempotencyKeyInUse = () =>
  new StripeApiError(409, {
    type: 'invalid_request_error',
    code: 'idempotency_key_in_use',
    message:
      'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): please try again later.',
  });

export const authenticationError = (message: string) => new StripeApiError(401, { type: 'invalid_request_error', message });

export const injectedFault = (status: number) =>
  new StripeApiError(status, { type: 'api_error', message: `An unknown error occurred (Stripe sandbox: injected ${status}).` });
