// The one rule for text that may reach a workflow, an invoice or Postgres:
// checked at the HTTP edge for every string of every request, and again by
// the workflow's update validators (so a direct Temporal client cannot wedge a
// workflow either). Pure: shared by the API and workflow code.

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** C0 controls, DEL and C1 controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/;
/**
 * Unicode's Bidi_Control characters (ALM, LRM, RLM, embeddings, overrides,
 * isolates): they reorder how the text around them is displayed, so a name
 * or address printed on an invoice could read differently from what it is.
 */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

const hex = (s: string) => `U+${s.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** Why `s` is not acceptable text (null when it is). Lengths are the schemas' business. */
export function textProblem(s: string): string | null {
  const lone = LONE_SURROGATE.exec(s);
  if (lone) return `contains a lone UTF-16 surrogate (${hex(lone[0])}): not well-formed Unicode`;
  const control = CONTROL.exec(s);
  if (control) return `contains a control character (${hex(control[0])})`;
  const bidi = BIDI_CONTROL.exec(s);
  if (bidi) return `contains a bidirectional control character (${hex(bidi[0])})`;
  return null;
}

/** Longest string any request field may carry (the schemas set tighter limits per field). */
export const MAX_TEXT_LENGTH = 10_000;

/**
 * The first string (object keys included) in a JSON value that breaks the
 * text rule, with its JSON-pointer-like path, e.g. `/billingAddress/city`.
 */
export function findBadText(value: unknown, path = ''): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    if (value.length > MAX_TEXT_LENGTH) return { path: path || '/', problem: `is longer than ${MAX_TEXT_LENGTH} characters` };
    const problem = textProblem(value);
    return problem ? { path: path || '/', problem } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = `${path}/${key}`;
    const keyProblem = textProblem(key);
    if (keyProblem) return { path: at, problem: `has a field name that ${keyProblem}` };
    const found = findBadText(v, at);
    if (found) return found;
  }
  return null;
}
