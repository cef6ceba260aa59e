import type Stripe from 'stripe';
import { type DataSet } from '../dataset';
import { deletedCustomer } from '../objects/customer';

/** Read access to one mode's objects for test expectations; every read is a copy, newest first. */
export interface StripeState {
  readonly customers: Stripe.Customer[];
  readonly deletedCustomerIds: string[];
  readonly paymentMethods: Stripe.PaymentMethod[];
  readonly cards: Stripe.Card[];
  readonly products: Stripe.Product[];
  /** Tiered prices include their `tiers` here. */
  readonly prices: Stripe.Price[];
  readonly coupons: Stripe.Coupon[];
  /** Deleted coupons (no longer listed; discounts made from them still render them when expanded). */
  readonly deletedCoupons: Stripe.Coupon[];
  readonly discounts: Stripe.Discount[];
  readonly subscriptions: Stripe.Subscription[];
  readonly invoices: Stripe.Invoice[];
  readonly charges: Stripe.Charge[];
  readonly refunds: Stripe.Refund[];
  readonly events: Stripe.Event[];
  readonly webhookEndpoints: Stripe.WebhookEndpoint[];
}

/**
 * Getters, so a test that reads one collection does not pay for copying all of them; being enumerable
 * they still serialize whole for the HTTP admin API.
 */
export function stateView(data: DataSet): StripeState {
  const copy = <T>(values: readonly T[]): T[] => structuredClone([...values]);
  return {
    get customers() {
      return copy(data.customers.ordered().filter((customer) => !data.deletedCustomers.has(customer.id)));
    },
    get deletedCustomerIds() {
      return [...data.deletedCustomers];
    },
    get paymentMethods() {
      return copy(data.paymentMethods.ordered());
    },
    get cards() {
      return copy([...data.cards.values()]);
    },
    get products() {
      return copy(data.products.ordered());
    },
    get prices() {
      return copy(data.prices.ordered()).map((price) => {
        const tiers = data.priceTiers.get(price.id);
        return tiers === undefined ? price : { ...price, tiers: structuredClone(tiers) };
      });
    },
    get coupons() {
      return copy(data.coupons.ordered());
    },
    get deletedCoupons() {
      return copy([...data.deletedCoupons.values()]);
    },
    get discounts() {
      return copy([...data.discounts.values()]);
    },
    get subscriptions() {
      return copy(data.subscriptions.ordered());
    },
    get invoices() {
      return copy(data.invoices.ordered());
    },
    get charges() {
      return copy(data.charges.ordered());
    },
    get refunds() {
      return copy(data.refunds.ordered());
    },
    get events() {
      return copy(data.events.ordered());
    },
    get webhookEndpoints() {
      return copy(data.webhookEndpoints.ordered());
    },
  };
}

/** Any object by id in one data set (a deleted customer shows as its tombstone). */
export function findObject(data: DataSet, id: string): object | undefined {
  if (data.deletedCustomers.has(id)) return deletedCustomer(id);
  const found =
    data.customers.get(id) ??
    data.paymentMethods.get(id) ??
    data.cards.get(id) ??
    data.products.get(id) ??
    data.prices.get(id) ??
    data.coupons.get(id) ??
    data.discounts.get(id) ??
    data.subscriptions.get(id) ??
    data.invoices.get(id) ??
    data.charges.get(id) ??
    data.refunds.get(id) ??
    data.events.get(id) ??
    data.webhookEndpoints.get(id);
  return found === undefined ? undefined : structuredClone(found);
}
