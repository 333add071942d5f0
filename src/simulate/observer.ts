// What the system did between two looks, read from its database: terms that
// began, status changes, invoices issued and settled, charges, notifications.
// Each change is stamped with the virtual instant of the look that saw it
// (the database's own timestamps are wall-clock time).
import type { Pool } from '../db/pool';

export interface TimelineEntry {
  at: number;
  workspace: string;
  kind: 'request' | 'refusal' | 'term' | 'status' | 'invoice' | 'charge' | 'notification';
  text: string;
}

export interface Notification {
  type: string;
  at: string;
  payload: unknown;
}

interface WorkspaceRow {
  id: string;
  plan: string;
  status: string;
  term_index: number;
  term_start: Date;
  term_end: Date;
}

interface InvoiceRow {
  id: string;
  workspace_id: string;
  number: string;
  kind: string;
  status: string;
  total_cents: string;
}

const money = (cents: number) => `$${(cents / 100).toFixed(2)}`;

export class Observer {
  readonly timeline: TimelineEntry[] = [];
  readonly notifications = new Map<string, Notification[]>();
  /** Plan and bounds last seen per workspace and term index (an index's dates change with a new anchor). */
  readonly terms = new Map<string, Map<number, { plan: string; start: number; end: number }>>();
  private readonly workspaces = new Map<string, WorkspaceRow>();
  private readonly invoices = new Map<string, string>();
  private readonly charges = new Set<string>();
  private lastOutboxId = 0;

  constructor(private readonly pool: Pool) {}

  note(at: number, workspace: string, kind: TimelineEntry['kind'], text: string): void {
    this.timeline.push({ at, workspace, kind, text });
  }

  async look(at: number): Promise<void> {
    await this.lookAtWorkspaces(at);
    await this.lookAtInvoices(at);
    await this.lookAtCharges(at);
    await this.lookAtOutbox(at);
  }

  private async lookAtWorkspaces(at: number): Promise<void> {
    const { rows } = await this.pool.query<WorkspaceRow>(`SELECT id, plan, status, term_index, term_start, term_end FROM workspaces ORDER BY id`);
    for (const r of rows) {
      const before = this.workspaces.get(r.id);
      if (!before) this.note(at, r.id, 'status', `workspace created: plan ${r.plan}, ${r.status}`);
      else {
        if (r.term_index !== before.term_index || r.term_start.getTime() !== before.term_start.getTime()) {
          this.note(at, r.id, 'term', `term ${r.term_index} begins on plan ${r.plan}`);
        }
        else if (r.plan !== before.plan) this.note(at, r.id, 'term', `plan ${before.plan} -> ${r.plan}`);
        if (r.status !== before.status) this.note(at, r.id, 'status', `status ${before.status} -> ${r.status}`);
      }
      this.workspaces.set(r.id, r);
      const terms = this.terms.get(r.id) ?? new Map<number, { plan: string; start: number; end: number }>();
      terms.set(r.term_index, { plan: r.plan, start: r.term_start.getTime(), end: r.term_end.getTime() });
      this.terms.set(r.id, terms);
    }
  }

  private async lookAtInvoices(at: number): Promise<void> {
    const { rows } = await this.pool.query<InvoiceRow>(
      `SELECT id, workspace_id, number, kind, status, total_cents FROM invoices ORDER BY issued_at, number`,
    );
    for (const r of rows) {
      const before = this.invoices.get(r.id);
      if (before === r.status) continue;
      this.note(
        at,
        r.workspace_id,
        'invoice',
        before === undefined ? `invoice ${r.number} (${r.kind}) ${money(Number(r.total_cents))}: ${r.status}` : `invoice ${r.number}: ${before} -> ${r.status}`,
      );
      this.invoices.set(r.id, r.status);
    }
  }

  private async lookAtCharges(at: number): Promise<void> {
    const { rows } = await this.pool.query<{ key: string; workspace_id: string; number: string; attempt: number; outcome: string; failure_code: string | null }>(
      `SELECT a.idempotency_key AS key, i.workspace_id, i.number, a.attempt, a.outcome, a.failure_code
       FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id ORDER BY a.created_at`,
    );
    for (const r of rows) {
      const seen = `${r.key}:${r.outcome}`;
      if (this.charges.has(seen)) continue;
      this.charges.add(seen);
      this.note(at, r.workspace_id, 'charge', `charge ${r.number} attempt ${r.attempt}: ${r.outcome}${r.failure_code ? ` (${r.failure_code})` : ''}`);
    }
  }

  private async lookAtOutbox(at: number): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; workspace_id: string; type: string; payload: unknown }>(
      `SELECT id, workspace_id, type, payload FROM outbox_events WHERE id > $1 ORDER BY id`,
      [this.lastOutboxId],
    );
    for (const r of rows) {
      this.lastOutboxId = Number(r.id);
      const list = this.notifications.get(r.workspace_id) ?? [];
      list.push({ type: r.type, at: new Date(at).toISOString(), payload: r.payload });
      this.notifications.set(r.workspace_id, list);
      this.note(at, r.workspace_id, 'notification', r.type);
    }
  }

  /**
   * Instants after `now` at which the system will act on its own and the
   * timeline should look: the workspaces' term ends (renewals, cancellations,
   * purges at retention end) and, while a renewal charge is failing, each
   * day after it (the dunning retries; SPEC: after 1, 3 and 7 days).
   */
  async dueAfter(now: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ at: Date }>(
      `SELECT term_end AS at FROM workspaces WHERE status IN ('active', 'past_due', 'cancelled')
       UNION SELECT retention_until FROM workspaces WHERE retention_until IS NOT NULL AND status = 'cancelled'
       UNION SELECT period_start FROM invoices WHERE status = 'payment_failed' AND period_start > $1::timestamptz - interval '8 days'`,
      [new Date(now)],
    );
    return rows.flatMap(({ at }) => {
      let t = at.getTime();
      while (t <= now) t += DAY;
      return t - at.getTime() <= 8 * DAY || at.getTime() > now ? [t] : [];
    });
  }
}

const DAY = 86_400_000;
