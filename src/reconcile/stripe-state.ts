import type Stripe from 'stripe';
import { catalogFromLists, catalogReferences, type Catalog, type CatalogReferences } from '../mapping';
import type { LatestCharge } from '../db/mirror';
import { retrieveCustomer } from '../activities/stripe-refresh';

/**
 * A customer's current state read from Stripe, never from the mirror: what reconcile holds Intercom against.
 * The ONE place reconcile reads Stripe; it reuses the sync's refresh path (retrieveCustomer: same expansions) so
 * both read a customer the same way.
 */
export interface StripeCustomerState {
  customerId: string;
  /** Undefined when Stripe has never heard of the id. */
  customer: Stripe.Customer | Stripe.DeletedCustomer | undefined;
  latestCharge: LatestCharge | null;
}

/** Reads customers and the catalogue objects they refer to, each catalogue object once per reconcile run. */
export class StripeStateReader {
  private readonly products = new Map<string, Promise<Stripe.Product>>();
  private readonly prices = new Map<string, Promise<Stripe.Price>>();
  private readonly coupons = new Map<string, Promise<Stripe.Coupon>>();

  constructor(private readonly stripe: Stripe) {}

  /** Every live customer id of the account (deleted customers are not listed by Stripe). */
  async customerIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const customer of this.stripe.customers.list({ limit: 100 })) ids.push(customer.id);
    return ids;
  }

  /** The customer as the sync's refresh reads it, with its latest charge (`STRIPE_last_charge_*`). */
  async customer(customerId: string): Promise<StripeCustomerState> {
    const customer = await retrieveCustomer(this.stripe, customerId);
    if (!customer || customer.deleted) return { customerId, customer, latestCharge: null };
    const charges = await this.stripe.charges.list({ customer: customerId, limit: 1 });
    const latest = charges.data[0];
    return {
      customerId,
      customer,
      latestCharge: latest ? { id: latest.id, status: latest.status, created: latest.created } : null,
    };
  }

  /** The products, prices (with tiers) and coupons these references name, read from Stripe. */
  async catalog(references: CatalogReferences): Promise<Catalog> {
    const [products, prices, coupons] = await Promise.all([
      Promise.all(references.productIds.map((id) => once(this.products, id, () => this.stripe.products.retrieve(id)))),
      Promise.all(
        references.priceIds.map((id) =>
          once(this.prices, id, () => this.stripe.prices.retrieve(id, { expand: ['tiers'] })),
        ),
      ),
      Promise.all(references.couponIds.map((id) => once(this.coupons, id, () => this.stripe.coupons.retrieve(id)))),
    ]);
    return catalogFromLists(products, prices, coupons);
  }

  /** The catalogue these customers' subscriptions and discounts refer to. */
  catalogFor(customers: ReadonlyArray<Stripe.Customer | Stripe.DeletedCustomer>): Promise<Catalog> {
    const merged: CatalogReferences = { productIds: [], priceIds: [], couponIds: [] };
    for (const customer of customers) {
      if (customer.deleted) continue;
      const references = catalogReferences(customer.subscriptions?.data ?? [], customer.discount);
      merged.productIds.push(...references.productIds);
      merged.priceIds.push(...references.priceIds);
      merged.couponIds.push(...references.couponIds);
    }
    return this.catalog({
      productIds: [...new Set(merged.productIds)],
      priceIds: [...new Set(merged.priceIds)],
      couponIds: [...new Set(merged.couponIds)],
    });
  }
}

function once<T>(cache: Map<string, Promise<T>>, id: string, fetch: () => Promise<T>): Promise<T> {
  let pending = cache.get(id);
  if (!pending) {
    pending = fetch();
    cache.set(id, pending);
  }
  return pending;
}
