import Type from 'typebox';

/**
 * Printable text: 1 to `maxLength` characters, no control characters (Postgres
 * cannot store NUL, and the others have no business in names, addresses or keys).
 */
export const text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, pattern: '^[^\\u0000-\\u001F\\u007F]+$', ...(description ? { description } : {}) });
