import type Stripe from 'stripe';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  catalogFromLists,
  catalogReferences,
  chargeHistory,
  referencedId,
  type Catalog,
  type ChargeHistory,
} from '../mapping';
import type { LatestCharge } from '../db/mirror';
import { retrieveCustomer } from '../activities/stripe-reread';
import { CUSTOMER_LIST_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from '../vendors/stripe';
import { dependencyOf } from '../activities/failures';
import { IMPORT_PAGE_SIZE } from '../workflows/constants';

/**
 * A customer's current state read from Stripe, never from the mirror: what reconcile holds Intercom against. Read
 * as the import reads it (the same lists, expansions and page size), so expected attributes are computed from the
 * same shapes the sync maps.
 */
export interface StripeCustomerState {
  customerId: string;
  /** Undefined when Stripe has never heard of the id. */
  customer: Stripe.Customer | Stripe.DeletedCustomer | undefined;
  subscriptions: Stripe.Subscription[];
  latestCharge: LatestCharge | null;
  charges: ChargeHistory;
}

export interface StripeAccountState {
  customers: StripeCustomerState[];
  catalog: Catalog;
}

export interface StripeReadProgress {
  /** Stripe list pages and single reads done. */
  reads: number;
  customersListed: number;
}

/**
 * Retries of one Stripe read, as the import's activities are retried (src/workflows/import.ts: from 1 s, doubling, at
 * most 30 s apart): a 429 the pacer could not outlast, a 5xx or a lost connection is read again; anything else (a
 * revoked key, a bad request) fails at once. Bounded, unlike an activity's, since an operator waits for the answer.
 */
export const STRIPE_READ_ATTEMPTS = 8;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * Reads an install's Stripe account for reconcile. Every request goes through the Stripe client it is given, which
 * reconcile takes from InstallContexts: paced by the account's StripeAccountPacer (the same budget and 429 handling as
 * the import). Reads are whole-account lists, as the import's (about 3 requests per 100 customers, none per
 * customer): a 10,000-customer account is a few hundred reads, not tens of thousands.
 *
 * After the first read that fails for good, no further read starts: the error is thrown from `read()`.
 */
export class StripeStateReader {
  private failed: unknown = null;
  private readonly progress: StripeReadProgress = { reads: 0, customersListed: 0 };

  constructor(
    private readonly stripe: Stripe,
    private readonly onProgress: (progress: StripeReadProgress) => void = () => undefined,
    private readonly pause: (ms: number) => Promise<void> = (ms) => sleep(ms),
  ) {}

  /** Every customer (and `alsoIds`, e.g. linked customers deleted since) with its subscriptions and charges. */
  async read(alsoIds: Iterable<string>): Promise<StripeAccountState> {
    const [customers, subscriptions, charges, products, prices, coupons] = await Promise.all([
      this.all((page) =>
        this.stripe.customers.list({ limit: IMPORT_PAGE_SIZE, expand: CUSTOMER_LIST_EXPANSIONS, ...page }),
      ),
      this.all((page) =>
        this.stripe.subscriptions.list({
          limit: IMPORT_PAGE_SIZE,
          status: 'all',
          expand: SUBSCRIPTION_LIST_EXPANSIONS,
          ...page,
        }),
      ),
      this.all((page) => this.stripe.charges.list({ limit: IMPORT_PAGE_SIZE, ...page })),
      this.all((page) => this.stripe.products.list({ limit: IMPORT_PAGE_SIZE, ...page })),
      this.all((page) => this.stripe.prices.list({ limit: IMPORT_PAGE_SIZE, expand: ['data.tiers'], ...page })),
      this.all((page) => this.stripe.coupons.list({ limit: IMPORT_PAGE_SIZE, ...page })),
    ]);
    const listed = new Map<string, Stripe.Customer | Stripe.DeletedCustomer | undefined>(
      customers.map((customer) => [customer.id, customer]),
    );
    // Linked customers Stripe no longer lists (deleted): one read each, `{id, deleted: true}`.
    for (const id of alsoIds) {
      if (!listed.has(id)) listed.set(id, await this.once(() => retrieveCustomer(this.stripe, id)));
    }
    const subscriptionsOf = groupByCustomer(subscriptions);
    // Lists are newest first, so each customer's charges stay newest first.
    const chargesOf = groupByCustomer(charges);
    const states = [...listed].map(([customerId, customer]) =>
      customerState(customerId, customer, subscriptionsOf.get(customerId) ?? [], chargesOf.get(customerId) ?? []),
    );
    const catalog = await this.completeCatalog(states, products, prices, coupons);
    return { customers: states, catalog };
  }

  /**
   * The listed catalogue, plus what subscriptions and discounts name that the lists lack (a deleted coupon is not
   * listed but still discounts the subscriptions that applied it): read one by one, a missing one left out.
   */
  private async completeCatalog(
    states: ReadonlyArray<StripeCustomerState>,
    products: Stripe.Product[],
    prices: Stripe.Price[],
    coupons: Stripe.Coupon[],
  ): Promise<Catalog> {
    const has = (list: ReadonlyArray<{ id: string }>) => new Set(list.map((object) => object.id));
    const [productIds, priceIds, couponIds] = [has(products), has(prices), has(coupons)];
    for (const { customer, subscriptions } of states) {
      if (!customer || customer.deleted) continue;
      const references = catalogReferences(subscriptions, customer.discount);
      for (const id of references.productIds.filter((id) => !productIds.has(id))) {
        productIds.add(id);
        products.push(...present(await this.once(() => missingAsUndefined(this.stripe.products.retrieve(id)))));
      }
      for (const id of references.priceIds.filter((id) => !priceIds.has(id))) {
        priceIds.add(id);
        const price = await this.once(() => missingAsUndefined(this.stripe.prices.retrieve(id, { expand: ['tiers'] })));
        prices.push(...present(price));
      }
      for (const id of references.couponIds.filter((id) => !couponIds.has(id))) {
        couponIds.add(id);
        coupons.push(...present(await this.once(() => missingAsUndefined(this.stripe.coupons.retrieve(id)))));
      }
    }
    return catalogFromLists(products, prices, coupons);
  }

  /** Every object of a list, page after page, each page read with retries. */
  private async all<T extends { id: string; object: string }>(
    list: (page: { starting_after?: string }) => Promise<Stripe.ApiList<T>>,
  ): Promise<T[]> {
    const objects: T[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const after = startingAfter;
      // Customers are counted as part of the read, so that once() reports them with it: the customers list may be the
      // last read to finish, and no later report would carry them.
      const page = await this.once(async () => {
        const read = await list(after ? { starting_after: after } : {});
        if (read.data[0]?.object === 'customer') this.progress.customersListed += read.data.length;
        return read;
      });
      objects.push(...page.data);
      const last = page.data.at(-1);
      if (!page.has_more || !last) return objects;
      startingAfter = last.id;
    }
  }

  /** One read with the import's retry rules; none starts once another read has failed for good. */
  private async once<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (this.failed) throw this.failed;
      try {
        const result = await read();
        this.progress.reads += 1;
        this.onProgress({ ...this.progress });
        return result;
      } catch (err) {
        if (dependencyOf(err) === null || attempt >= STRIPE_READ_ATTEMPTS) {
          this.failed ??= err;
          throw err;
        }
        await this.pause(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1)));
      }
    }
  }
}

function customerState(
  customerId: string,
  customer: Stripe.Customer | Stripe.DeletedCustomer | undefined,
  subscriptions: Stripe.Subscription[],
  charges: Stripe.Charge[],
): StripeCustomerState {
  if (!customer || customer.deleted) {
    return { customerId, customer, subscriptions: [], latestCharge: null, charges: chargeHistory([]) };
  }
  const latest = charges[0];
  return {
    customerId,
    customer,
    subscriptions,
    latestCharge: latest ? { id: latest.id, status: latest.status, created: latest.created } : null,
    charges: chargeHistory(charges),
  };
}

function groupByCustomer<T extends { customer: string | { id: string } | null }>(objects: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const object of objects) {
    const customerId = referencedId(object.customer);
    if (!customerId) continue;
    const group = groups.get(customerId);
    if (group) group.push(object);
    else groups.set(customerId, [object]);
  }
  return groups;
}

async function missingAsUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if ((err as { code?: string }).code === 'resource_missing') return undefined;
    throw err;
  }
}

function present<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
