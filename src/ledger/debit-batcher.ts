// Group commit for the usage hot path. A debit is one statement (usage_debit,
// migration 0015); while a few are in flight, the ones that arrive meanwhile
// wait and then go together in one statement (usage_debit_many): one round
// trip, one transaction and one WAL flush for the lot, instead of one each.
// An idle server sends every debit at once, alone: batching costs no latency.
import type { Pool } from '../db/pool';
import { debitMany, debitOne, type DebitRow } from './debit-sql';

export interface DebitRequest {
  workspaceId: string;
  idempotencyKey: string;
  requestHash: string;
  memberId: string;
  action: string;
  feature: string;
  tokens: number | null;
  cost: number;
  alreadyPerformed: boolean;
  lowBalancePercent: number;
}

export interface BatchingOptions {
  /** Statements in flight at once (each holds a pooled connection). */
  maxInFlight: number;
  /** Debits per statement at most. */
  maxBatch: number;
}

// 2 in flight: one batch collects while the other runs. Back to back (bench-usage,
// scripts/bench-usage.ts), 2 gave more debits per CPU-second and per second than 4, 8 or 16.
export const DEFAULT_BATCHING: BatchingOptions = { maxInFlight: 2, maxBatch: 64 };

interface Pending {
  request: DebitRequest;
  resolve: (row: DebitRow) => void;
  reject: (err: unknown) => void;
}

const valuesOf = (r: DebitRequest) => [
  r.workspaceId, r.idempotencyKey, r.requestHash, r.memberId, r.action, r.feature, r.tokens, r.cost, r.alreadyPerformed, r.lowBalancePercent,
];

export class DebitBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

  constructor(
    private readonly pool: Pool,
    private readonly options: BatchingOptions = DEFAULT_BATCHING,
  ) {}

  debit(request: DebitRequest): Promise<DebitRow> {
    return new Promise<DebitRow>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    // Rows are locked in workspace order, so two batches never wait on each other in a cycle.
    // Array.sort is stable: a workspace's debits keep their arrival order.
    batch.sort((a, b) => (a.request.workspaceId < b.request.workspaceId ? -1 : a.request.workspaceId > b.request.workspaceId ? 1 : 0));
    const values = batch.map((p) => valuesOf(p.request));
    const columns = values[0]!.map((_, i) => values.map((v) => v[i]));
    let rows: DebitRow[];
    try {
      rows = (await this.pool.query<DebitRow>({ name: 'usage-debit-many', text: debitMany, values: columns })).rows;
    } catch {
      // One failing debit fails its whole statement: run each alone, so only that one fails.
      await Promise.all(batch.map((p) => this.alone(p)));
      return;
    }
    batch.forEach((p, i) => (rows[i] ? p.resolve(rows[i]) : p.reject(new Error(`usage_debit_many answered ${rows.length} rows for ${batch.length} debits`))));
  }

  private async alone(p: Pending): Promise<void> {
    try {
      const { rows } = await this.pool.query<DebitRow>({ name: 'usage-debit', text: debitOne, values: valuesOf(p.request) });
      p.resolve(rows[0]!);
    } catch (err) {
      p.reject(err);
    }
  }
}

const batchers = new WeakMap<Pool, DebitBatcher>();

/** The pool's batcher: every debit on one pool goes through one queue. */
export function debitBatcherOf(pool: Pool, options?: BatchingOptions): DebitBatcher {
  let batcher = batchers.get(pool);
  if (!batcher) batchers.set(pool, (batcher = new DebitBatcher(pool, options)));
  return batcher;
}
