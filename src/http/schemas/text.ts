import Type from 'typebox';

/**
 * Free text: 1 to `maxLength` characters. What characters are allowed is one
 * rule for every string of every request (src/domain/text.ts), applied by the
 * app's preValidation hook (src/http/text-edge.ts) before any schema runs.
 */
export const text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
