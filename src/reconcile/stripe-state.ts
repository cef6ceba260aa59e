import type Stripe from 'stripe';
import {
  catalogFromLists,
  catalogReferences,
  chargeHistory,
  type Catalog,
  type CatalogReferences,
  type ChargeHistory,
} from '../mapping';
import type { LatestCharge } from '../db/mirror';
import { retrieveCustomer } from '../activities/stripe-refresh';
import { SUBSCRIPTION_LIST_EXPANSIONS } from '../activities/clients/stripe';
import { IMPORT_PAGE_SIZE } from '../workflows/constants';

/**
 * A customer's current state read from Stripe, never from the mirror: what reconcile holds Intercom against.
 * The ONE place reconcile reads Stripe; it reads a customer as the sync's refresh does (retrieveCustomer: same
 * expansions; subscriptions with `status=all` and the same expansions), but every charge, not the latest page.
 */
export interface StripeCustomerState {
  customerId: string;
  /** Undefined when Stripe has never heard of the id. */
  customer: Stripe.Customer | Stripe.DeletedCustomer | undefined;
  subscriptions: Stripe.Subscription[];
  latestCharge: LatestCharge | null;
  charges: ChargeHistory;
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
    for await (const customer of this.stripe.customers.list({ limit: IMPORT_PAGE_SIZE })) ids.push(customer.id);
    return ids;
  }

  /** The customer with all its subscriptions and charges (`STRIPE_last_charge_*`, `STRIPE_total_spent`). */
  async customer(customerId: string): Promise<StripeCustomerState> {
    const customer = await retrieveCustomer(this.stripe, customerId);
    if (!customer || customer.deleted) {
      return { customerId, customer, subscriptions: [], latestCharge: null, charges: chargeHistory([]) };
    }
    const [subscriptions, charges] = await Promise.all([
      all(
        this.stripe.subscriptions.list({
          customer: customerId,
          status: 'all',
          limit: IMPORT_PAGE_SIZE,
          expand: SUBSCRIPTION_LIST_EXPANSIONS,
        }),
      ),
      all(this.stripe.charges.list({ customer: customerId, limit: IMPORT_PAGE_SIZE })),
    ]);
    const latest = charges[0];
    return {
      customerId,
      customer,
      subscriptions,
      latestCharge: latest ? { id: latest.id, status: latest.status, created: latest.created } : null,
      charges: chargeHistory(charges),
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
  catalogFor(states: ReadonlyArray<StripeCustomerState>): Promise<Catalog> {
    const merged: CatalogReferences = { productIds: [], priceIds: [], couponIds: [] };
    for (const { customer, subscriptions } of states) {
      if (!customer || customer.deleted) continue;
      const references = catalogReferences(subscriptions, customer.discount);
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

/** Every item of a list, page after page (a customer's charges can exceed the SDK's 10,000 autoPagingToArray cap). */
async function all<T>(list: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of list) items.push(item);
  return items;
}

function once<T>(cache: Map<string, Promise<T>>, id: string, fetch: () => Promise<T>): Promise<T> {
  let pending = cache.get(id);
  if (!pending) {
    pending = fetch();
    cache.set(id, pending);
  }
  return pending;
}
