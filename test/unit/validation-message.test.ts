// Schema validation errors as people read them (src/http/validation-message.ts),
// and the strict reading of query/path text (src/http/validator.ts), on the
// errors TypeBox's compiled check really reports.
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { validationMessage } from '../../src/http/validation-message';
import { strictValidatorCompiler } from '../../src/http/validator';

const Query = Type.Object(
  {
    groupBy: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('day')])),
    plan: Type.Optional(Type.String({ enum: ['free', 'pro', 'growth'] })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
    threshold: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    address: Type.Optional(Type.Object({ country: Type.String() }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const message = (value: unknown) => validationMessage('querystring', Compile(Query).Errors(value) as never);

describe('validationMessage', () => {
  it.each([
    [{ groupBy: 'feature' }, 'groupBy must be member or day'],
    [{ plan: 'platinum' }, 'plan must be one of free, pro, growth'],
    [{ limit: 0 }, 'limit must be at least 1'],
    [{ limit: 1.5 }, 'limit must be an integer'],
    [{ threshold: 'a' }, 'threshold must be an integer or null'],
    [{ member: 'alice' }, 'member is not a known field'],
    [{ address: {} }, 'address.country is required'],
    [{ address: { country: 'US', planet: 'Mars' } }, 'address.planet is not a known field'],
    [[], 'the querystring must be an object'],
  ])('%j -> %s', (value, expected) => {
    expect(message(value)).toBe(expected);
  });

  it('a bound names the whole range when the schema has both', () => {
    const errors = Compile(Query).Errors({ limit: 500 });
    expect(validationMessage('querystring', errors as never, Query as never)).toBe('limit must be an integer from 1 to 200');
    expect(validationMessage('querystring', Compile(Query).Errors({ threshold: -1 }) as never, Query as never)).toBe('threshold must be at least 0 or null');
  });

  it('one sentence per field, joined', () => {
    expect(message({ groupBy: 'week', limit: 0 })).toBe('groupBy must be member or day; limit must be at least 1');
  });

  it('names a long enumeration by a few values and a count', () => {
    const codes = Array.from({ length: 30 }, (_, i) => `C${i}`);
    const errors = Compile(Type.Object({ c: Type.String({ enum: codes }) })).Errors({ c: 'x' });
    expect(validationMessage('body', errors as never)).toBe('c must be one of C0, C1, C2, C3, C4, ... (30 values: see /openapi.json)');
  });
});

describe('strictValidatorCompiler: query text becomes a number only when it spells one', () => {
  const validate = strictValidatorCompiler({ schema: Query, httpPart: 'querystring', method: 'GET', url: '/' }) as (v: unknown) => { value?: unknown; error?: unknown };
  it.each(['5', '200'])('limit=%s is read as a number', (text) => {
    expect(validate({ limit: text }).value).toEqual({ limit: Number(text) });
  });
  it('limit=-3 is read as a number, then refused by the schema', () => {
    expect(validate({ limit: '-3' }).error).toEqual([expect.objectContaining({ keyword: 'minimum', instancePath: '/limit' })]);
  });
  it.each(['', ' 5', '0x10', '1e1', '+5', '05', '5.0', 'true', '5abc'])('limit=%j stays text and is refused', (text) => {
    expect(validate({ limit: text }).error).toBeDefined();
  });
  it('a body is never converted', () => {
    const body = strictValidatorCompiler({ schema: Query, httpPart: 'body', method: 'POST', url: '/' }) as (v: unknown) => { error?: unknown };
    expect(body({ limit: '5' }).error).toBeDefined();
  });
});
