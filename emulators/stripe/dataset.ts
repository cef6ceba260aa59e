import type Stripe from 'stripe';
import { Collection } from './collection';
import { type Mode } from './types';

/** All objects of one mode (live or test) of the account. */
export class DataSet {
  readonly livemode: boolean;
  readonly customers = new Collection<Stripe.Customer>();
  /** Deleted customers stay in `customers` (so list cursors on them still work) and are listed here. */
  readonly deletedCustomers = new Set<string>();
  readonly paymentMethods = new Collection<Stripe.PaymentMethod>();
  /** Legacy card sources by id. */
  readonly cards = new Map<string, Stripe.Card>();
  readonly products = new Collection<Stripe.Product>();
  readonly prices = new Collection<Stripe.Price>();
  /** Tiers of tiered prices: the API shows them only when `tiers` is expanded. */
  readonly priceTiers = new Map<string, Stripe.Price.Tier[]>();
  readonly coupons = new Collection<Stripe.Coupon>();
  /**
   * Coupons deleted through the API: no longer listed or retrievable, yet the discounts made from them keep
   * discounting ("deleting a coupon does not affect any customers who have already applied the coupon",
   * https://docs.stripe.com/api/coupons/delete), so expanding a discount's `source.coupon` still renders them.
   */
  readonly deletedCoupons = new Map<string, Stripe.Coupon>();
  readonly discounts = new Map<string, Stripe.Discount>();
  readonly subscriptions = new Collection<Stripe.Subscription>();
  readonly invoices = new Collection<Stripe.Invoice>();
  readonly charges = new Collection<Stripe.Charge>();
  readonly refunds = new Collection<Stripe.Refund>();
  readonly events = new Collection<Stripe.Event>();
  readonly webhookEndpoints = new Collection<Stripe.WebhookEndpoint>();
  readonly webhookSecrets = new Map<string, string>();
  private readonly subscriptionIdsByCustomer = new Map<string, string[]>();

  constructor(readonly mode: Mode) {
    this.livemode = mode === 'live';
  }

  /** A customer that exists and is not deleted. */
  liveCustomer(id: string): Stripe.Customer | undefined {
    return this.deletedCustomers.has(id) ? undefined : this.customers.get(id);
  }

  putSubscription(subscription: Stripe.Subscription): Stripe.Subscription {
    const customer = subscription.customer as string;
    if (!this.subscriptions.has(subscription.id)) {
      this.subscriptionIdsByCustomer.set(customer, [
        ...(this.subscriptionIdsByCustomer.get(customer) ?? []),
        subscription.id,
      ]);
    }
    return this.subscriptions.replace(subscription);
  }

  /** A customer's subscriptions, newest first; indexed because list expansions ask for them per customer. */
  subscriptionsOf(customerId: string): Stripe.Subscription[] {
    const ids = this.subscriptionIdsByCustomer.get(customerId) ?? [];
    return [...ids]
      .reverse()
      .map((id) => this.subscriptions.get(id))
      .filter((subscription): subscription is Stripe.Subscription => subscription !== undefined)
      .sort((a, b) => b.created - a.created);
  }
}
