// Reading form parameters the way Stripe validates them: unknown parameters,
// missing ones and wrong types are 400 invalid_request_error.
import { invalidBoolean, invalidInteger, invalidRequest, missingParameter, unknownParameter } from './errors';
import type { FormObject, FormValue } from './form';

export function allowOnly(params: FormObject, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) if (!allowed.includes(key)) throw unknownParameter(key);
}

export function optString(params: FormObject, name: string): string | undefined {
  const v = params[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidRequest(`Invalid string: ${name}`, { param: name });
  return v;
}

export function reqString(params: FormObject, name: string): string {
  const v = optString(params, name);
  if (v === undefined || v === '') throw missingParameter(name);
  return v;
}

export function optInt(params: FormObject, name: string): number | undefined {
  const v = optString(params, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw invalidInteger(name, v);
  return Number(v);
}

export function optBool(params: FormObject, name: string): boolean | undefined {
  const v = optString(params, name);
  if (v === undefined) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw invalidBoolean(name, v);
}

export function optObject(params: FormObject, name: string): FormObject | undefined {
  const v = params[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v === 'string' || Array.isArray(v)) throw invalidRequest(`Invalid object: ${name}`, { param: name });
  return v;
}

export function optStringArray(params: FormObject, name: string): string[] | undefined {
  const v: FormValue | undefined = params[name];
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidRequest(`Invalid array: ${name}`, { param: name });
  return v as string[];
}

/** Metadata: a flat map of strings (Stripe's limits: 50 keys, 40-char keys, 500-char values). */
export function optMetadata(params: FormObject, name = 'metadata'): Record<string, string> | undefined {
  const v = optObject(params, name);
  if (!v) return v === undefined ? undefined : {};
  const out: Record<string, string> = {};
  const entries = Object.entries(v);
  if (entries.length > 50) throw invalidRequest('Metadata can have at most 50 keys.', { param: name });
  for (const [k, val] of entries) {
    if (typeof val !== 'string' || k.length > 40 || val.length > 500) {
      throw invalidRequest(`Invalid metadata value for key ${k}`, { param: `${name}[${k}]` });
    }
    out[k] = val;
  }
  return out;
}
