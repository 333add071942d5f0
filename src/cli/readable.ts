// How the ops CLI shows the API's answers to a person: one line per field,
// nested values in words ("22 credits (plan 22, purchased 0)"), never JSON.

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Any value as one readable cell: nested objects as `key value, ...`, lists comma-separated. */
export function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.map(cell).join(', ');
  if (isObject(v)) return Object.entries(v).map(([k, x]) => `${k} ${cell(x)}`).join(', ');
  return String(v);
}

function balance(b: unknown): string {
  if (!isObject(b)) return cell(b);
  return `${cell(b.total)} credits (plan ${cell(b.plan)}, purchased ${cell(b.purchased)})`;
}

function overage(o: unknown): string {
  if (!isObject(o)) return cell(o);
  if (!o.enabled) return `off (${cell(o.used)} used)`;
  return `on, ${cell(o.used)} of ${cell(o.monthlyLimit)} credits used this term`;
}

function term(t: unknown): string {
  return isObject(t) ? `${cell(t.start)} to ${cell(t.end)}` : cell(t);
}

const SHOWN: Record<string, (v: unknown) => string> = { term, balance, overage };

/** An answer (GET /v1/workspaces/:id, a plan change...) as `field value` rows; fields the CLI does not know yet still read as words. */
export function fieldRows(ws: Json): Array<{ field: string; value: string }> {
  return Object.entries(ws).map(([field, v]) => ({ field, value: (SHOWN[field] ?? cell)(v) }));
}

/** One invoice in a list: what ops look for first. */
export function invoiceRow(i: Json): Json {
  return { number: i.number, kind: i.kind, status: i.status, issuedAt: i.issuedAt, totalCents: i.totalCents, id: i.id };
}
