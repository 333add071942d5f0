// The readable timeline of a run: one line per thing that happened, by
// virtual instant, then each workspace's terms and invoices.
import type { TimelineEntry } from './observer';
import type { SimulationRun } from './run';

const KIND_ORDER: Record<TimelineEntry['kind'], number> = { status: 0, term: 1, request: 2, refusal: 3, invoice: 4, charge: 5, notification: 6 };
const money = (cents: unknown) => `$${(Number(cents) / 100).toFixed(2)}`;
const day = (iso: unknown) => String(iso).slice(0, 10);

export function formatTimeline(run: SimulationRun): string {
  const lines: string[] = [];
  const entries = run.timeline
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.at - b.e.at || (a.e.kind === 'request' || b.e.kind === 'request' ? a.i - b.i : KIND_ORDER[a.e.kind] - KIND_ORDER[b.e.kind]) || a.i - b.i)
    .map(({ e }) => e);
  const width = Math.max(8, ...entries.map((e) => e.workspace.length));
  for (const e of entries) {
    lines.push(`${new Date(e.at).toISOString().replace('.000Z', 'Z')}  ${e.workspace.padEnd(width)}  ${e.kind.padEnd(12)}  ${e.text}`);
  }
  for (const [id, ws] of Object.entries(run.result.workspaces)) {
    lines.push('', `== ${id}: ${ws.final ? `${String(ws.final.plan)}, ${String(ws.final.status)}, balance ${JSON.stringify(ws.final.balance)}` : 'gone (no workspace at until)'}`);
    for (const t of ws.terms) {
      lines.push(`  term ${t.index}  ${day(t.start)} .. ${day(t.end)}  ${String(t.plan ?? '?').padEnd(10)} granted ${t.granted}, used plan ${t.used.plan} / purchased ${t.used.purchased} / overage ${t.used.overage}`);
    }
    for (const inv of ws.invoices) {
      lines.push(`  ${String(inv.number)}  ${String(inv.kind).padEnd(15)} ${money(inv.totalCents).padStart(10)}  ${String(inv.status)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
