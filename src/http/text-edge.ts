// The HTTP edge of the text rule (src/domain/text.ts): every string a request
// carries into the service is checked once here, whatever the route, so odd
// Unicode is a 422 naming the field before anything is charged or stored.
import type { FastifyBodyParser, FastifyRequest } from 'fastify';
import { findBadText } from '../domain/text';
import { CodedError } from '../domain/failure-codes';

/** Where a request's strings come from, as the validation error names them. */
function requestParts(req: FastifyRequest): Array<[string, unknown]> {
  return [
    ['params', req.params],
    ['querystring', req.query],
    // The one header whose value reaches a workflow and Postgres (Node's parser already refuses control bytes).
    ['headers', { 'idempotency-key': req.headers['idempotency-key'] }],
    // The Stripe webhook route keeps its raw bytes (verified by signature, never parsed here).
    ['body', Buffer.isBuffer(req.body) ? undefined : req.body],
  ];
}

/** preValidation hook: refuses the first string that breaks the text rule. */
export async function refuseBadText(req: FastifyRequest): Promise<void> {
  for (const [part, value] of requestParts(req)) {
    const bad = findBadText(value);
    if (bad) throw new CodedError('validation_failed', `invalid ${part}: ${bad.path} ${bad.problem}`, { field: `${part}${bad.path}` });
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Wraps Fastify's JSON parser: the body's bytes must be UTF-8 (a lone byte is not silently turned into U+FFFD). */
export function strictUtf8JsonParser(parseJson: FastifyBodyParser<string>): FastifyBodyParser<Buffer> {
  return function parse(this: unknown, req, body, done) {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new CodedError('invalid_json', 'the body is not valid UTF-8'), undefined);
      return;
    }
    return parseJson.call(this as never, req, text, done);
  };
}
