// Stripe's request encoding: application/x-www-form-urlencoded with bracket
// paths (`metadata[workspace_id]=ws_1`, `payment_method_types[0]=card`), as
// the official clients send it. Values stay strings; endpoints coerce them.

export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

/** Turns objects whose keys are exactly 0..n-1 into arrays (indices encoding). */
function arraysFromIndices(v: FormValue): FormValue {
  if (typeof v === 'string' || Array.isArray(v)) return Array.isArray(v) ? v.map(arraysFromIndices) : v;
  const keys = Object.keys(v);
  for (const k of keys) v[k] = arraysFromIndices(v[k]!);
  if (keys.length > 0 && keys.every((k, i) => k === String(i))) return keys.map((k) => v[k]!);
  return v;
}

export class FormError extends Error {}

export function parseForm(body: string): FormObject {
  const root: FormObject = {};
  if (!body) return root;
  for (const pair of body.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(rawKey);
    if (!m) throw new FormError(`Invalid parameter name: ${rawKey}`);
    const path = [m[1]!, ...[...m[2]!.matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1]!)];
    let node: FormObject = root;
    for (let i = 0; i < path.length; i++) {
      let key = path[i]!;
      if (key === '') key = String(Object.keys(node).length); // `a[]=x` appends
      if (i === path.length - 1) {
        node[key] = value;
      } else {
        const next = node[key];
        if (next === undefined || typeof next === 'string') node[key] = {};
        node = node[key] as FormObject;
      }
    }
  }
  return arraysFromIndices(root) as FormObject;
}
