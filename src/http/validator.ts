// The validator of every request part: TypeBox's compiled check, with one
// difference from @fastify/type-provider-typebox's compiler: path, query and
// header strings become numbers or booleans only when they spell one exactly
// ("12", "true"), never from junk ("", "0x10", "1e1", " 5" stay strings and
// fail the schema), as a client generated from the OpenAPI document expects.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

const INTEGER_TEXT = /^-?(0|[1-9][0-9]{0,14})$/;
const NUMBER_TEXT = /^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?$/;

type JsonSchema = { type?: string | string[]; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema> };

function typesOf(schema: JsonSchema | undefined, into = new Set<string>()): Set<string> {
  if (!schema) return into;
  for (const t of [schema.type ?? []].flat()) into.add(t);
  for (const branch of schema.anyOf ?? []) typesOf(branch, into);
  return into;
}

/** A string that spells a value of the property's type exactly becomes that value; anything else is left for the check to refuse. */
function convertText(schema: JsonSchema | undefined, text: string): unknown {
  const types = typesOf(schema);
  if (types.has('integer') && INTEGER_TEXT.test(text)) return Number(text);
  if (types.has('number') && NUMBER_TEXT.test(text)) return Number(text);
  if (types.has('boolean') && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

function convertStrictly(schema: JsonSchema, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !schema.properties) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [key, v] of Object.entries(out)) {
    if (typeof v === 'string' && Object.hasOwn(schema.properties, key)) out[key] = convertText(schema.properties[key], v);
  }
  return out;
}

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = Compile(schema);
  return (value: unknown) => {
    const converted = httpPart === 'body' ? value : convertStrictly(schema as JsonSchema, value);
    if (check.Check(converted)) return { value: converted };
    return { error: check.Errors(converted) as never };
  };
};
