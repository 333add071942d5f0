// The error answers of the OpenAPI document, from the one code-to-status map
// (error-status.ts): per operation and status, the codes it can answer with.
import { STATUS_CODES } from 'node:http';
import Type, { type TSchema } from 'typebox';
import type { FailureCode } from '../../domain/failure-codes';
import { HTTP_ANSWERS } from '../error-status';

/** Marks an error answer's schema, so the document can point it at the shared `Error` component. */
export const ERROR_SCHEMA_MARK = 'x-error-codes';

/** `{"error": {"code", "message", ...details}}` whose code is one of `codes`. */
export function errorSchema(status: number, codes: readonly string[]): TSchema {
  return Type.Object(
    {
      error: Type.Object(
        { code: Type.String({ enum: [...codes] }), message: Type.String() },
        { additionalProperties: true, description: 'details of some codes ride along (field, reason, refreshesAt, ...)' },
      ),
    },
    { description: `${STATUS_CODES[status] ?? 'Error'}: ${codes.join(', ')}`, [ERROR_SCHEMA_MARK]: [...codes] },
  );
}

/** The error responses for `codes`, one per status they are answered with. */
export function errorResponses(codes: Iterable<FailureCode>): Record<number, TSchema> {
  const byStatus = new Map<number, Set<string>>();
  for (const code of codes) {
    const answer = HTTP_ANSWERS[code];
    const set = byStatus.get(answer.status) ?? new Set<string>();
    set.add(answer.wireCode ?? code);
    byStatus.set(answer.status, set);
  }
  return Object.fromEntries([...byStatus].map(([status, set]) => [status, errorSchema(status, [...set].sort())]));
}
