// The account at a glance for ops (the workflow's current details): card on
// file and balance by bucket, learned only from results of activities the
// workflow runs anyway. No activity is added for display: the balance is the
// one right after the last change the workflow made (usage moves it in
// Postgres meanwhile; the API's balance route has the live figure).
import type { ActivityCall } from './activity-calls';
import type { UnpaidInvoice } from './definitions';

export interface AccountGlance {
  /** From the last card attached (null: Stripe gave no card details). */
  card?: { brand: string; last4: string } | null;
  /** Right after the last ledger change the workflow made, at `at` (epoch ms). */
  balance?: { termIndex: number; plan: number; purchased: number; overageUsed: number; at: number };
}

type Result = { balanceAfter?: unknown; paymentMethodId?: unknown; card?: unknown } | null | undefined;

const isCount = (v: unknown): v is number => Number.isSafeInteger(v);

/** Notes what a result tells about the account; results of older workers lack these fields and change nothing. */
export function noteResult(glance: AccountGlance, result: unknown, at: number): void {
  if (typeof result !== 'object' || result === null) return;
  const r = result as Result & object;
  const b = r.balanceAfter as Record<string, unknown> | null | undefined;
  if (b && isCount(b.termIndex) && isCount(b.plan) && isCount(b.purchased) && isCount(b.overageUsed)) {
    glance.balance = { termIndex: b.termIndex, plan: b.plan, purchased: b.purchased, overageUsed: b.overageUsed, at };
  }
  if (typeof r.paymentMethodId === 'string' && 'card' in r) {
    const c = r.card as Record<string, unknown> | null;
    glance.card = c && typeof c.brand === 'string' && typeof c.last4 === 'string' ? { brand: c.brand, last4: c.last4 } : null;
  }
}

/**
 * `act` whose results are also noted in the glance. The caller gets the
 * activity's own promise (the note is a side reaction registered first), so
 * the workflow's awaits, and therefore its commands, are exactly as before.
 */
export function noticingAccount(act: ActivityCall, glance: () => AccountGlance, now: () => number): ActivityCall {
  return (summary) =>
    new Proxy(act(summary), {
      get: (target, name) => {
        const call = target[name as keyof typeof target] as unknown as (arg: unknown) => Promise<unknown>;
        return (arg: unknown) => {
          const pending = call(arg);
          pending.then((result) => noteResult(glance(), result, now()), () => undefined);
          return pending;
        };
      },
    });
}

const usd = (cents: number) => `$${(cents / 100).toFixed(2)}`;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/** Current-details lines: card, balance by bucket with on-demand use and limit, unpaid invoices with amounts. */
export function glanceLines(
  glance: AccountGlance | undefined,
  account: { paymentMethod: string | null; termIndex: number; onDemand: { enabled: boolean; monthlyLimit: number }; unpaid: UnpaidInvoice[] },
): string[] {
  const lines: string[] = [];
  const card = glance?.card;
  lines.push(
    account.paymentMethod === null
      ? 'Card on file: none'
      : card
        ? `Card on file: ${card.brand} •••• ${card.last4}`
        : 'Card on file: yes (brand and last 4 shown after the next card change)',
  );
  const limit = account.onDemand.enabled ? (account.onDemand.monthlyLimit ? `limit ${account.onDemand.monthlyLimit}` : 'no limit') : 'off';
  const b = glance?.balance;
  if (b && b.termIndex === account.termIndex) {
    lines.push(
      `Credits after the last billing change (${day(b.at)} UTC): plan ${b.plan}, purchased ${b.purchased}; ` +
        `on-demand used ${b.overageUsed} (${limit}). Usage since then: the API's balance route`,
    );
  } else {
    lines.push(`On-demand: ${limit}`);
  }
  if (account.unpaid.length > 0) {
    const known = account.unpaid.filter((u) => u.totalCents !== undefined);
    const total = known.reduce((sum, u) => sum + u.totalCents!, 0);
    const each = account.unpaid.map(
      (u) => `${u.invoiceId} (${u.totalCents !== undefined ? usd(u.totalCents) : 'amount on the invoice'}, ${u.attempts} attempts: ${u.lastReason})`,
    );
    lines.push(`Unpaid invoices, ${usd(total)}${known.length < account.unpaid.length ? '+' : ''} due: ${each.join(', ')}`);
  }
  return lines;
}
