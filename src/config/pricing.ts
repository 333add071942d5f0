import { readFileSync } from 'node:fs';
import Type from 'typebox';
import { Value } from 'typebox/value';
import type { PricingConfig } from '../domain/pricing';

const NonNegInt = Type.Integer({ minimum: 0 });
const PricingSchema = Type.Object(
  {
    currency: Type.Literal('usd'),
    plans: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          monthlyCredits: Type.Union([NonNegInt, Type.Null()]),
          monthlyPriceCents: Type.Union([NonNegInt, Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
    actions: Type.Record(
      Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
      Type.Union([
        Type.Object({ kind: Type.Literal('flat'), credits: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        Type.Object(
          { kind: Type.Literal('tokens'), tokensPerCredit: Type.Integer({ minimum: 1 }), minCredits: NonNegInt },
          { additionalProperties: false },
        ),
        Type.Object({ kind: Type.Literal('free') }, { additionalProperties: false }),
      ]),
    ),
    purchase: Type.Object(
      { minCredits: Type.Integer({ minimum: 1 }), maxCredits: Type.Integer({ minimum: 1 }), centsPerCredit: NonNegInt },
      { additionalProperties: false },
    ),
    overage: Type.Object({ centsPerCredit: NonNegInt }, { additionalProperties: false }),
    lowBalancePercent: Type.Integer({ minimum: 0, maximum: 100 }),
    taxRates: Type.Array(
      Type.Object(
        {
          country: Type.String({ pattern: '^[A-Z]{2}$' }),
          region: Type.Optional(Type.String({ minLength: 1, maxLength: 8 })),
          rateBps: Type.Integer({ minimum: 0, maximum: 10_000 }),
          name: Type.String({ minLength: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const defaultPricingPath = new URL('./pricing.default.json', import.meta.url);

/** Loads and validates a pricing config; throws with every problem listed. */
export function loadPricing(path: string | URL = process.env.PRICING_CONFIG || defaultPricingPath): PricingConfig {
  return parsePricing(JSON.parse(readFileSync(path, 'utf8')), `pricing config ${String(path)}`);
}

/** Validates a pricing config already parsed (`source` names it in the error, e.g. a scenario's `pricing`). */
export function parsePricing(raw: unknown, source = 'pricing config'): PricingConfig {
  if (!Value.Check(PricingSchema, raw)) {
    const problems = [...Value.Errors(PricingSchema, raw)].map((e) => `${e.instancePath || '/'} ${e.message}`);
    throw new Error(`invalid ${source}:\n  ${problems.join('\n  ')}`);
  }
  const cfg = raw as PricingConfig;
  if (cfg.purchase.minCredits > cfg.purchase.maxCredits) {
    throw new Error(`invalid ${source}: purchase.minCredits > purchase.maxCredits`);
  }
  return cfg;
}
