// Every activity the billing worker runs, built from injected dependencies
// so tests run them against the real Postgres and Stripe-compatible servers.
import type Stripe from 'stripe';
import type { Pool } from '../src/db/pool';
import type { InvoiceSeller } from '../src/domain/invoice';
import type { PricingConfig } from '../src/domain/pricing';
import { createInvoiceActivities } from './invoices';
import { createLedgerActivities } from './ledger';
import { createRenewalActivities } from './renewal';
import { createWorkspaceActivities } from './workspace';

export interface ActivityDeps {
  pool: Pool;
  /** Read on each call: a changed PRICING_CONFIG (after a restart) reaches each workspace at its next renewal, which loads the catalog. */
  pricing: () => PricingConfig;
  stripe: Stripe;
  outboxDir: string;
  /** The API's public address (PUBLIC_BASE_URL), for the absolute `pdfUrl` of invoice events. */
  publicBaseUrl: string;
  seller: InvoiceSeller;
  /** The clock charges read (their paidAt, the age of their keys); the simulator's virtual time, else the machine's. */
  now?: () => number;
}

export function createActivities(deps: ActivityDeps) {
  const pricing = deps.pricing();
  return {
    ...createWorkspaceActivities({ pool: deps.pool, pricing: deps.pricing }),
    ...createLedgerActivities({ pool: deps.pool, pricing }),
    ...createRenewalActivities({ pool: deps.pool, pricing, seller: deps.seller }),
    ...createInvoiceActivities({
      pool: deps.pool,
      pricing,
      stripe: deps.stripe,
      outboxDir: deps.outboxDir,
      publicBaseUrl: deps.publicBaseUrl,
      seller: deps.seller,
      ...(deps.now ? { now: deps.now } : {}),
    }),
  };
}

export type BillingActivities = ReturnType<typeof createActivities>;
