// Invoice by invoice: the workspace's invoices as the API shows them
// (GET /v1/workspaces/:id/invoices, each again by GET /v1/invoices/:id),
// oldest first, against the ones the reference model issued. Only what the
// rules determine is compared: kind, lines (kind, quantity, unit amount,
// amount), subtotal, tax, total and status; descriptions, numbers and
// instants are the service's to choose.
import { isDeepStrictEqual } from 'node:util';
import { invoiceView } from './reference/invoices';
import type { World } from './check';
import type { ModelSystem } from './system';

interface ShownInvoice {
  id: string;
  number: string;
  kind: string;
  status: string;
  lines: Array<{ kind: string; quantity: number; unitAmountCents: number; amountCents: number }>;
  subtotalCents: number;
  tax: { amountCents: number };
  totalCents: number;
}

const ruled = (inv: ShownInvoice) => ({
  kind: inv.kind,
  lines: inv.lines.map((l) => ({ kind: l.kind, quantity: l.quantity, unitAmountCents: l.unitAmountCents, amountCents: l.amountCents })),
  subtotalCents: inv.subtotalCents,
  taxCents: inv.tax.amountCents,
  totalCents: inv.totalCents,
  status: inv.status,
});

/** What differs between the model's invoices and the API's (null: they agree, or there is no workspace to list). */
export async function invoiceDivergence(sys: ModelSystem, w: World): Promise<string | null> {
  if (!w.m.view()) return null;
  const res = await sys.call('GET', `/v1/workspaces/${w.ws}/invoices?limit=500`);
  if (res.status !== 200) return `GET invoices answered ${res.status}`;
  // Numbers are gapless and sort by year then sequence: the order of issue.
  const listed = [...(res.body.invoices as ShownInvoice[])].sort((a, b) => a.number.localeCompare(b.number));
  const shown = listed.map(ruled);
  const expected = w.m.invoices.map(invoiceView);
  if (!isDeepStrictEqual(shown, expected)) {
    return `invoices (oldest first) shown ${JSON.stringify(shown)}, the model says ${JSON.stringify(expected)}`;
  }
  for (const inv of listed) {
    const one = await sys.call('GET', `/v1/invoices/${inv.id}`);
    if (one.status !== 200 || !isDeepStrictEqual(ruled(one.body as ShownInvoice), ruled(inv))) {
      return `GET /v1/invoices/${inv.number} answered ${one.status} ${JSON.stringify(one.body)}, the list shows ${JSON.stringify(ruled(inv))}`;
    }
  }
  return null;
}
