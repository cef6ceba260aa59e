import type Stripe from 'stripe';
import type { StripeState } from '../../emulators/stripe/admin/state';
import { catalogFromLists, type Catalog, type ChargeHistory, type LatestChargeSummary } from '../../src/mapping';

/** One customer as the service reads it: payment methods expanded, every subscription, its charges. */
export interface CustomerView {
  customer: Stripe.Customer;
  /** Every subscription, canceled ones included, expanded as `GET /v1/subscriptions` with the service's expansions. */
  subscriptions: Stripe.Subscription[];
  latestCharge: LatestChargeSummary | null;
  charges: ChargeHistory;
}

export interface StripeView {
  /** Products, prices with tiers and the coupons Stripe still lists (deleted ones are not). */
  catalog: Catalog;
  customer(customerId: string): CustomerView | undefined;
}

/**
 * What the service can know of the emulator's current state, computed independently of the service's read path: the
 * expectation side of integration tests.
 */
export function stripeView(state: StripeState): StripeView {
  const paymentMethods = new Map(state.paymentMethods.map((method) => [method.id, method]));
  const cards = new Map(state.cards.map((card) => [card.id, card]));
  const coupons = new Map([...state.deletedCoupons, ...state.coupons].map((coupon) => [coupon.id, coupon]));
  const discounts = new Map(state.discounts.map((discount) => [discount.id, discount]));
  const customers = new Map(state.customers.map((customer) => [customer.id, customer]));
  const subscriptionsByCustomer = groupBy(state.subscriptions, (subscription) => subscription.customer as string);
  // Newest first, as `charges.list` answers.
  const chargesByCustomer = groupBy(state.charges, (charge) =>
    typeof charge.customer === 'string' ? charge.customer : (charge.customer?.id ?? ''),
  );

  const method = (id: unknown) =>
    typeof id === 'string' ? (paymentMethods.get(id) ?? cards.get(id) ?? id) : (id as null);
  const discount = (id: string | Stripe.Discount, expandCoupon: boolean): string | Stripe.Discount => {
    const found = typeof id === 'string' ? discounts.get(id) : id;
    if (!found) return id;
    const couponId = found.source.coupon as string;
    return expandCoupon ? { ...found, source: { ...found.source, coupon: coupons.get(couponId) ?? couponId } } : found;
  };
  const expandSubscription = (subscription: Stripe.Subscription): Stripe.Subscription => ({
    ...subscription,
    // `data.discounts.source.coupon` is within 4 levels; item discounts' coupons are one level too deep.
    discounts: subscription.discounts.map((id) => discount(id, true)),
    items: {
      ...subscription.items,
      data: subscription.items.data.map((item) => ({
        ...item,
        discounts: item.discounts.map((id) => discount(id, false)),
      })),
    },
    default_payment_method: method(subscription.default_payment_method) as Stripe.PaymentMethod | null,
    default_source: method(subscription.default_source) as Stripe.CustomerSource | null,
  });

  return {
    catalog: catalogFromLists(state.products, state.prices, state.coupons),
    customer(customerId) {
      const customer = customers.get(customerId);
      if (!customer) return undefined;
      const charges = chargesByCustomer.get(customerId) ?? [];
      const latest = charges[0];
      return {
        customer: {
          ...customer,
          invoice_settings: {
            ...customer.invoice_settings,
            default_payment_method: method(customer.invoice_settings.default_payment_method) as Stripe.PaymentMethod,
          },
          default_source: method(customer.default_source) as Stripe.CustomerSource | null,
        },
        subscriptions: (subscriptionsByCustomer.get(customerId) ?? []).map(expandSubscription),
        latestCharge: latest ? { status: latest.status, created: latest.created } : null,
        charges: chargeHistory(charges),
      };
    },
  };
}

/**
 * Charges that took money (succeeded and captured: an authorization has taken nothing), newest first: the last one,
 * and what they add up to per currency after refunds. Stripe counts the part of an authorization a partial capture
 * released in `amount_refunded` (https://docs.stripe.com/api/payment_intents/cancel), so what a captured charge kept is
 * its `amount` less `amount_refunded`.
 */
function chargeHistory(newestFirst: readonly Stripe.Charge[]): ChargeHistory {
  // Same-second ties go to the higher id, as the service's mirror query orders them.
  const succeeded = newestFirst
    .filter((charge) => charge.status === 'succeeded' && charge.captured)
    .sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
  const netByCurrency: Record<string, number> = {};
  for (const charge of succeeded) {
    const currency = charge.currency.toLowerCase();
    netByCurrency[currency] = (netByCurrency[currency] ?? 0) + charge.amount - charge.amount_refunded;
  }
  const last = succeeded[0];
  return {
    lastSucceeded: last
      ? { amount: last.amount_captured, currency: last.currency.toLowerCase(), created: last.created }
      : null,
    netByCurrency,
  };
}

function groupBy<T>(values: readonly T[], key: (value: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const value of values) groups.set(key(value), [...(groups.get(key(value)) ?? []), value]);
  return groups;
}
