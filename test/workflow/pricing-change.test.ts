// A changed pricing catalog reaches existing subscribers at their next
// renewal: the catalog's new price and allocation for their plan; enterprise
// terms are per workspace and unaffected; a plan removed from the catalog
// keeps its last terms and is shown to ops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PricingConfig } from '../../src/domain/pricing';
import { workflowIdFor } from '../../workflows/definitions';
import { BillingTestEnv, pricing } from '../helpers/billing-env';

let t: BillingTestEnv;
/** What the worker's getPricing answers: the config as an operator just changed it. */
let catalog: PricingConfig;
beforeAll(async () => {
  t = await BillingTestEnv.create();
  const activities = t.realActivities();
  await t.startWorker({ ...activities, getPricing: async () => catalog });
});
afterAll(async () => {
  await t?.teardown();
});

const withPlans = (plans: PricingConfig['plans']): PricingConfig => ({ ...pricing, plans });
const subtotal = async (id: string, termIndex: number) =>
  (await t.invoices(id)).find((i) => i.kind === 'renewal' && i.business_key === `renewal:${id}:${termIndex}`)?.subtotal_cents;

describe('a changed pricing catalog', () => {
  it('applies at each workspace next renewal; enterprise terms stay; a removed plan keeps its last terms and is shown to ops', async () => {
    catalog = withPlans({ ...pricing.plans, legacy: { name: 'Legacy', monthlyCredits: 200, monthlyPriceCents: 1500 } });
    await t.create({ id: 'price-pro', plan: 'pro', paymentMethod: 'pm_card_visa' });
    await t.create({ id: 'price-ent', plan: 'enterprise', enterprise: { monthlyCredits: 500, monthlyPriceCents: 10_000 }, paymentMethod: 'pm_card_visa' });
    await t.create({ id: 'price-legacy', plan: 'legacy', paymentMethod: 'pm_card_visa' });
    const { workspace } = await t.state('price-pro');
    expect(workspace).toMatchObject({ planCredits: 100, planPriceCents: 2900 });

    // Mid-term, the operator raises Pro and retires Legacy.
    const { legacy: _retired, ...current } = catalog.plans;
    catalog = withPlans({ ...current, pro: { name: 'Pro', monthlyCredits: 150, monthlyPriceCents: 3900 } });

    expect((await t.state('price-pro')).workspace).toMatchObject({ planCredits: 100, planPriceCents: 2900 }); // the running term keeps its terms
    await t.sleepUntil(workspace.termEnd + 60_000);
    for (const id of ['price-pro', 'price-ent', 'price-legacy']) await t.waitFor(id, (x) => x.workspace.termIndex === 1, `${id} renewed`);

    expect((await t.state('price-pro')).workspace).toMatchObject({ plan: 'pro', planCredits: 150, planPriceCents: 3900 });
    expect(await t.balances('price-pro')).toMatchObject({ term_index: 1, plan_balance: 150 });
    expect(await subtotal('price-pro', 1)).toBe(3900);

    expect((await t.state('price-ent')).workspace).toMatchObject({ planCredits: 500, planPriceCents: 10_000 });
    expect(await t.balances('price-ent')).toMatchObject({ plan_balance: 500 });
    expect(await subtotal('price-ent', 1)).toBe(10_000);

    expect((await t.state('price-legacy')).workspace).toMatchObject({ plan: 'legacy', planCredits: 200, planPriceCents: 1500 });
    expect(await t.balances('price-legacy')).toMatchObject({ plan_balance: 200 });
    expect(await subtotal('price-legacy', 1)).toBe(1500);
    const metadata = (await t.env.client.workflow.getHandle(workflowIdFor('price-legacy')).query('__temporal_workflow_metadata')) as {
      currentDetails?: string;
    };
    expect(metadata.currentDetails).toMatch(/Plan 'legacy' is no longer in the pricing catalog/);
  }, 120_000);
});
