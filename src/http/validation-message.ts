// Schema validation errors as people read them: one sentence per field
// ("groupBy must be member or day", "limit must be at least 1") instead of
// the validator's lines (four "must be equal to constant" for one bad value).
export interface SchemaError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
  /** JSON pointer (with a leading #) to the failing keyword's schema. */
  schemaPath?: string;
}

type SchemaNode = Record<string, unknown>;

/** The schema a validation error's schemaPath points at, inside `root`. */
function schemaAt(root: SchemaNode | undefined, pointer: string | undefined): SchemaNode | undefined {
  if (!root || pointer === undefined) return undefined;
  let node: unknown = root;
  for (const token of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : undefined;
}

/** "an integer from 100 to 100000" when the failing number's schema has both bounds. */
function rangeOf(e: SchemaError, root: SchemaNode | undefined): string | null {
  if (e.keyword !== 'minimum' && e.keyword !== 'maximum') return null;
  const node = schemaAt(root, e.schemaPath);
  if (!node || typeof node.minimum !== 'number' || typeof node.maximum !== 'number') return null;
  return `${node.type === 'integer' ? 'an integer' : 'a number'} from ${node.minimum} to ${node.maximum}`;
}

/** Enumerations longer than this are named by a few values and a count, not listed. */
const MAX_LISTED = 12;

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  null: 'null',
};

const FORMAT_NAMES: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time with a time zone (e.g. 2026-01-31T00:00:00Z)',
  email: 'an email address',
  uuid: 'a UUID',
};

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function listOf(values: unknown[]): string {
  const shown = values.map(show);
  if (shown.length === 1) return shown[0]!;
  if (shown.length === 2) return `${shown[0]} or ${shown[1]}`;
  if (shown.length > MAX_LISTED) return `one of ${shown.slice(0, 5).join(', ')}, ... (${shown.length} values: see /openapi.json)`;
  return `one of ${shown.join(', ')}`;
}

/** What one failed keyword asked for, as the end of "must be ...". */
function expectation(e: SchemaError, root?: SchemaNode): string {
  const range = rangeOf(e, root);
  if (range) return range;
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return TYPE_NAMES[String(p.type)] ?? String(p.type);
    case 'minimum':
      return `at least ${show(p.limit)}`;
    case 'maximum':
      return `at most ${show(p.limit)}`;
    case 'exclusiveMinimum':
      return `more than ${show(p.limit)}`;
    case 'exclusiveMaximum':
      return `less than ${show(p.limit)}`;
    case 'minLength':
      return `at least ${show(p.limit)} characters long`;
    case 'maxLength':
      return `at most ${show(p.limit)} characters long`;
    case 'pattern':
      return `a string matching ${show(p.pattern)}`;
    case 'format':
      return FORMAT_NAMES[String(p.format)] ?? `a valid ${show(p.format)}`;
    default:
      return (e.message ?? 'valid').replace(/^must (be )?/, '');
  }
}

/** `/billingAddress/country` -> `billingAddress.country`; the root is the part itself ("the body"). */
function fieldName(part: string, pointer: string): string {
  if (pointer === '') return `the ${part}`;
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** One sentence per field that failed, in the order the validator reported them. */
export function fieldProblems(part: string, errors: readonly SchemaError[], schema?: SchemaNode): FieldProblem[] {
  const unknownFields = errors.some((e) => e.keyword === 'additionalProperties');
  const byField = new Map<string, SchemaError[]>();
  const problems: FieldProblem[] = [];
  for (const e of errors) {
    if (e.keyword === 'additionalProperties') {
      for (const name of (e.params.additionalProperties as string[] | undefined) ?? []) {
        const where = e.instancePath === '' ? '' : `${fieldName(part, e.instancePath)}.`;
        problems.push({ field: `${where}${name}`, message: `${where}${name} is not a known field` });
      }
      continue;
    }
    // The per-property twin of an additionalProperties error ("schema is false").
    if (e.keyword === 'boolean' && unknownFields) continue;
    if (e.keyword === 'required') {
      for (const name of (e.params.requiredProperties as string[] | undefined) ?? [String(e.params.missingProperty ?? '?')]) {
        const where = e.instancePath === '' ? '' : `${fieldName(part, e.instancePath)}.`;
        problems.push({ field: `${where}${name}`, message: `${where}${name} is required` });
      }
      continue;
    }
    const list = byField.get(e.instancePath) ?? [];
    list.push(e);
    byField.set(e.instancePath, list);
  }
  for (const [pointer, list] of byField) {
    const field = fieldName(part, pointer);
    const alternatives = list.some((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
    const values: unknown[] = [];
    const wants: string[] = [];
    for (const e of list) {
      if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
      if (e.keyword === 'const') values.push(e.params.allowedValue);
      else if (e.keyword === 'enum') values.push(...((e.params.allowedValues as unknown[] | undefined) ?? []));
      else if (e.keyword === 'boolean') wants.push('absent');
      else wants.push(expectation(e, schema));
    }
    const parts = [...(values.length ? [listOf(values)] : []), ...new Set(wants)];
    problems.push({ field, message: `${field} must be ${parts.join(alternatives ? ' or ' : ' and ')}` });
  }
  return problems;
}

/** The whole refusal in one line: each field's sentence, joined. */
export function validationMessage(part: string, errors: readonly SchemaError[], schema?: SchemaNode): string {
  const problems = fieldProblems(part, errors, schema);
  return problems.length ? problems.map((p) => p.message).join('; ') : `the ${part} is not valid`;
}
