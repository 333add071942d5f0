// What the lifecycle writes answer (src/http/routes/lifecycle.ts).
import Type from 'typebox';
import { BalanceSchema } from './workspace-params';

const Instant = Type.String({ format: 'date-time' });
const Cents = Type.Integer({ minimum: 0 });

/** What a sale charged: its invoice, and the amounts the card was charged with (tax included). */
const Charged = {
  invoiceId: Type.String({ format: 'uuid' }),
  invoiceNumber: Type.String({ pattern: '^INV-[0-9]{4}-[0-9]{6}$' }),
  subtotalCents: Cents,
  taxCents: Cents,
  totalCents: Type.Integer({ minimum: 0, description: 'what the card was charged: subtotal + tax (+ any earlier amount carried forward)' }),
};

export const PlanChangeAnswer = Type.Object({
  effective: Type.String({
    enum: ['immediately', 'at_renewal', 'withdrawn', 'unchanged'],
    description:
      'immediately: an upgrade, paid now; at_renewal: a downgrade, scheduled for effectiveAt; ' +
      'withdrawn: the current plan chosen again, the scheduled change was dropped; unchanged: the current plan chosen again, nothing was scheduled',
  }),
  plan: Type.String({ description: 'the plan asked for' }),
  currentPlan: Type.String({ description: 'the plan in force now' }),
  effectiveAt: Instant,
  invoiceId: Type.Optional(Charged.invoiceId),
  invoiceNumber: Type.Optional(Charged.invoiceNumber),
  subtotalCents: Type.Optional(Charged.subtotalCents),
  taxCents: Type.Optional(Charged.taxCents),
  totalCents: Type.Optional(Charged.totalCents),
  balance: Type.Optional(BalanceSchema),
}, { description: 'The plan change: an upgrade carries its invoice and what was charged' });

export const PurchaseAnswer = Type.Object({
  id: Type.String(),
  credits: Type.Integer({ minimum: 1 }),
  amountCents: Type.Integer({ minimum: 0, description: 'the price of the credits, before tax (= subtotalCents)' }),
  status: Type.Literal('paid'),
  ...Charged,
}, { description: 'The paid purchase: its invoice and what the card was charged' });

export const CancelAnswer = Type.Object({
  status: Type.String({ enum: ['signing_up', 'signup_failed', 'active', 'past_due', 'cancelled', 'deleted'] }),
  cancelAt: Type.Union([Instant, Type.Null()]),
  retentionUntil: Type.Union([Instant, Type.Null()]),
}, { description: 'The subscription after the request' });

export const PaymentMethodAnswer = Type.Object({ paymentMethod: Type.String() }, { description: 'The card on file' });
export const OnDemandAnswer = Type.Object(
  { enabled: Type.Boolean(), monthlyLimit: Type.Integer({ minimum: 0 }) },
  { description: 'The on-demand settings now in force' },
);
export const LowBalanceAnswer = Type.Object(
  { threshold: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]) },
  { description: 'The threshold now in force (null: the default)' },
);
export const FeaturesAnswer = Type.Object({ disabledFeatures: Type.Array(Type.String()) }, { description: 'The features now switched off' });
