// The HTTP API: Fastify with TypeBox schemas. The same schemas validate every
// body and query (no coercion of bodies, unknown fields rejected) and feed
// the OpenAPI document.
import swagger from '@fastify/swagger';
import { registerAjvFormats, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { isDatabaseUnavailable } from '../db/unavailable';
import { authenticate, type ApiTokens } from './auth';
import { CodedError, type FailureCode } from '../domain/failure-codes';
import { errorBody, HTTP_ANSWERS, httpAnswerOf } from './error-status';
import { databaseUnavailable } from './errors';
import { AllowedMethods } from './allowed-methods';
import { finishDocument } from './openapi-document';
import { documentErrorAnswers } from './route-contract';
import { refuseBadText, strictUtf8JsonParser } from './text-edge';
import { fieldProblems, validationMessage, type SchemaError } from './validation-message';
import { strictValidatorCompiler } from './validator';

registerAjvFormats();

export interface AppOptions {
  tokens: ApiTokens;
  /** A pino logger for structured JSON request logs; none in tests. */
  logger?: FastifyBaseLogger;
  /** Route plugins, each registering its routes on the typed instance. */
  routes: Array<(app: App) => void | Promise<void>>;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (control
 * characters or raw non-ASCII in the request line or headers, headers over
 * 16 KiB): answered in the API's error shape too, then the connection closes.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message]: [FailureCode, string] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? ['headers_too_large', 'the request line and headers are limited to 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? ['request_timeout', 'the request did not arrive in time']
        : ['malformed_request', 'the request is not valid HTTP/1.1 (a control or non-ASCII character in the request line or a header?)'];
  const { status } = HTTP_ANSWERS[code];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

function sendFailure(reply: FastifyReply, err: CodedError): FastifyReply {
  const answer = httpAnswerOf(err);
  return reply.status(answer.status).headers(answer.headers).send(answer.body);
}

export async function buildApp(opts: AppOptions): Promise<App> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: MAX_BODY_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    clientErrorHandler,
    // Refused while routing, before any hook runs: a malformed escape in the path, a path parameter over 100 characters.
    frameworkErrors: (err, _req, res) => {
      const reply = res as FastifyReply;
      const failure =
        err.code === 'FST_ERR_MAX_PARAM_LENGTH'
          ? new CodedError('validation_failed', 'a path parameter is longer than 100 characters')
          : new CodedError('bad_url', `the URL is malformed: ${err.message}`);
      void sendFailure(reply, failure);
    },
  }).withTypeProvider<TypeBoxTypeProvider>() as unknown as App;
  app.setValidatorCompiler(strictValidatorCompiler);
  // Before any route (and before @fastify/swagger reads them): every route's error answers, and its methods for the 405.
  const allowed = new AllowedMethods();
  app.addHook('onRoute', allowed.onRoute);
  app.addHook('onRoute', documentErrorAnswers);

  app.addHook('onRequest', async (req, reply) => {
    void reply.header('x-request-id', req.id);
    authenticate(opts.tokens, req);
  });
  // Every string of every request (body, path, query, Idempotency-Key) obeys one text rule, before any route runs.
  app.addHook('preValidation', refuseBadText);

  /** 405 with Allow for a known path asked with a method it does not have; false for an unknown path. */
  const refuseMethod = (req: FastifyRequest, reply: FastifyReply): boolean => {
    const path = req.url.split('?')[0]!;
    const methods = allowed.of(path);
    if (methods.length === 0) return false;
    void reply.header('allow', methods.join(', '));
    void sendFailure(reply, new CodedError('method_not_allowed', `${path} answers ${methods.join(', ')}, not ${req.method}`));
    return true;
  };

  app.setErrorHandler((err, req, reply) => {
    // A method without a route whose request Fastify refused before the not-found handler (QUERY without Content-Type).
    if (req.is404 && !(err instanceof CodedError) && refuseMethod(req, reply)) return reply;
    if (err instanceof CodedError) return sendFailure(reply, err);
    const e = err as { validation?: unknown[]; validationContext?: string; statusCode?: number; code?: string; message: string };
    if (e.validation) {
      const part = e.validationContext ?? 'request';
      const errors = e.validation as SchemaError[];
      // The part's schema, so a bound names the whole range ("credits must be an integer from 100 to 100000").
      const schema = (req.routeOptions.schema as Record<string, Record<string, unknown> | undefined> | undefined)?.[part];
      const fields = fieldProblems(part, errors, schema).map((p) => p.field);
      // A value outside an enumeration the route names its own refusal for (an action no price list has: unknown_action).
      const enumCode = req.routeOptions.config.enumRefusals?.[fields[0] ?? ''];
      if (enumCode && fields.length === 1 && errors.some((x) => x.keyword === 'enum')) {
        const value = (req.body as Record<string, unknown> | undefined)?.[fields[0]!];
        return sendFailure(reply, new CodedError(enumCode, `unknown ${fields[0]} '${String(value)}': ${validationMessage(part, errors, schema)}`, { in: part, fields }));
      }
      return sendFailure(reply, new CodedError('validation_failed', validationMessage(part, errors, schema), { in: part, fields }));
    }
    if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return sendFailure(reply, new CodedError('invalid_json', e.message));
    }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendFailure(reply, new CodedError('body_too_large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`));
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendFailure(reply, new CodedError('unsupported_media_type', 'send JSON with Content-Type: application/json'));
    }
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      // Fastify's own refusal of the request: its status is Fastify's word, not ours to map.
      return reply.status(e.statusCode).send(errorBody('bad_request', e.message));
    }
    if (isDatabaseUnavailable(err)) {
      // Postgres is down, restarting or dropped the connection: the request's
      // transaction did not commit (or, if the connection broke during COMMIT,
      // a retry with the same idempotency key replays it).
      req.log.warn({ err }, 'database unavailable');
      return sendFailure(reply, databaseUnavailable());
    }
    req.log.error({ err }, 'unhandled error');
    return sendFailure(reply, new CodedError('internal', 'internal error; see the server log with this request id'));
  });

  app.setNotFoundHandler((req, reply) => {
    if (refuseMethod(req, reply)) return reply;
    return sendFailure(reply, new CodedError('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Credit billing orchestrator API',
        version: '1',
        description: 'Pooled AI credits per workspace: plans, usage, purchases, invoices. Every error answers {"error": {"code", "message"}}.',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
      },
      // Relative: the API is wherever this document was fetched from (npm start prints its address).
      servers: [{ url: '/', description: 'the server that serves this document' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (doc) => finishDocument((doc as { openapiObject: Record<string, unknown> }).openapiObject),
  });

  // Bodies are JSON (the Stripe webhook route reads its raw bytes in its own scope):
  // without Fastify's text/plain parser, any other content type is a 415.
  app.removeContentTypeParser('text/plain');
  // JSON bodies must be UTF-8: bytes that are not would otherwise become U+FFFD without a word.
  const jsonParser = strictUtf8JsonParser(app.getDefaultJsonParser('error', 'error'));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonParser);

  for (const register of opts.routes) await register(app);

  app.get(
    '/openapi.json',
    {
      config: { auth: false },
      schema: {
        tags: ['ops'],
        operationId: 'getOpenApiDocument',
        summary: 'This API description (OpenAPI 3.1)',
        security: [],
        response: { 200: { description: 'The OpenAPI document', type: 'object', additionalProperties: true } },
      },
    },
    async () => app.swagger() as unknown as Record<string, unknown>,
  );

  return app;
}
