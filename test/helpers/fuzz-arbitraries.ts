// fast-check arbitraries for hostile HTTP input: odd strings (control
// characters, lone surrogates, huge lengths), numbers at every edge, deep
// nesting, malformed JSON text, odd path segments and query strings.
import fc from 'fast-check';

const CONTROL = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

/** A string with at least one control character in it (NUL included). */
export const withControlChar = fc
  .tuple(fc.string({ maxLength: 8 }), fc.oneof(CONTROL, fc.constant('\u007f')), fc.string({ maxLength: 8 }))
  .map(([a, c, b]) => a + c + b);

const ODD_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\uFEFFx', '\u202Eevil', '\ud800', '\udfff\ud800', '🙂', 'e\u0301', 'null', 'true', '0', '-1',
  '1e309', 'NaN', '../../etc/passwd', '..', '%00', '%zz', '<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '{{7*7}}',
  '__proto__', 'constructor', 'pm_', 'pm_card_visa\n', 'evt_', 'pm_card_visa ', 'INV-2026-000001', 'x'.repeat(201),
];

/** Strings a validator must cope with: any code point, graphemes, control characters, classic payloads, long ones. */
export const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  withControlChar,
  fc.constantFrom(...ODD_STRINGS),
  fc.integer({ min: 65, max: 3000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers at the edges: negative, fractional, beyond int32 / safe integers / int64, tiny, huge. */
export const oddNumber = fc.oneof(
  fc.constantFrom(
    -1, -0, 0.5, 1.5, 99.99, 100.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e21, 1e300,
    -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON,
  ),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.maxSafeInteger(),
);

/** Number literals JSON.stringify cannot write (they parse to Infinity, lose precision, or look fractional). */
export const oddNumberLiteral = fc.constantFrom(
  '1e400', '-1e400', '123456789012345678901234567890', '-0', '0.0000000000000000000001', '1E2', '1.0', '100.0000000000000001',
  '9007199254740993', '-9223372036854775809', '1e-400', '0e5',
);

/** {"a": {"a": ... 1}} nested `depth` levels. */
export function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

export const deepValue = fc.oneof(
  fc.integer({ min: 20, max: 2000 }).map((d) => nested(d)),
  fc.integer({ min: 20, max: 2000 }).map((d) => JSON.parse(`${'['.repeat(d)}${']'.repeat(d)}`) as unknown),
);

/** Any JSON value a field may receive instead of what the schema wants. */
export const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddString, weight: 4 },
  { arbitrary: oddNumber, weight: 3 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }), weight: 1 },
  { arbitrary: fc.object({ maxDepth: 2 }), weight: 1 },
  { arbitrary: deepValue, weight: 1 },
);

/** A whole body of the wrong kind: any JSON, objects with random keys, arrays, scalars, deep nesting. */
export const randomJsonBody: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.object(),
  fc.array(fc.jsonValue({ maxDepth: 2 })),
  oddString,
  oddNumber,
  fc.boolean(),
  fc.constant(null),
  deepValue,
);

/** Text that is not JSON, or not quite: truncations of `valid`, JSON5-isms, garbage, prototype keys, bad bytes. */
export function malformedJsonText(valid: string): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    fc.integer({ min: 1, max: Math.max(1, valid.length - 1) }).map((n) => valid.slice(0, n)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
    fc.constantFrom(
      '{', '}', '[', '{"a":}', '{"a" 1}', "{'a': 1}", '{a: 1}', '{"a": 1,}', '[1, 2,]', 'NaN', 'Infinity', '{"a": NaN}',
      '{"a": Infinity}', '{"a": undefined}', '// comment\n{}', '{} {}', '{}garbage', '"unterminated', '{"a": "\\x41"}',
      '{"a": "\\u12"}', '\u0000', ' ', '\n', 'null null', '{"__proto__": {"polluted": true}}',
      '{"constructor": {"prototype": {"polluted": true}}}', `{"a": ${'['.repeat(30_000)}`,
      `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
    ),
    fc.constantFrom(`\uFEFF${valid}`, `${valid}x`, `${valid},`, `[${valid}`, valid.replace(/"/g, "'"), valid.replace(/:/g, '=')),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    fc.constantFrom(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), Buffer.from([0xc0, 0xaf])),
  );
}

/** A path segment as sent on the wire (already encoded, or deliberately not). */
export const oddPathSegment = fc.oneof(
  fc.constantFrom(
    '', '.', '..', '...', '%2e%2e', '..%2F..%2Fadmin', '../../v1/workspaces', '%00', 'a%00b', '%', '%zz', '%e0%a4%a', '%C0%AF',
    '%FF%FE', '%2F', 'a;b', 'a,b', '*', '~', '%20', '+', '%2B', '%0d%0aX-Injected:%201', '%u0041', '%F0%9F%99%82', 'NUL', 'con',
  ),
  oddString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  fc.integer({ min: 65, max: 10_000 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 200, max: 2000 }).map((n) => '%C3%A9'.repeat(n)),
);

/** A query string (without `?`): known and unknown keys, repeated keys, prototype keys, odd values, malformed encoding. */
export function oddQuery(knownKeys: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    fc.constantFrom(...knownKeys, 'unknown', 'debug', '__proto__', 'constructor', 'toString', 'a[b]', 'limit[]', 'from[$gt]', '', '%00', '%zz'),
    fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
  );
  const value = fc.oneof(
    fc.constantFrom('', '1', '0', '-1', '1.5', '1e3', '201', '99999999999999999999', 'true', 'member', 'day', 'week', '%00', '%zz', '%', 'a%20b'),
    fc.constantFrom('2026-01-01T00:00:00Z', '2026-01-01T23:59:60Z', '2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z'),
    fc.constantFrom('1970-01-01T00:00:00+23:59', '2026-13-01T00:00:00Z', '2026-01-01', '2026-01-01T00:00:00', '+275760-09-13T00:00:00.000Z'),
    fc.date({ noInvalidDate: true }).map((d) => encodeURIComponent(d.toISOString())),
    fc.integer({ min: 1, max: 4000 }).map((n) => '9'.repeat(n)),
    oddString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, 'x'))),
  );
  return fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 6 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
}
