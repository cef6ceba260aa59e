import { log } from '@temporalio/activity';
import type Stripe from 'stripe';
import type { Pool } from 'pg';
import {
  DATA_EVENT_TYPES,
  catalogReferences,
  normalizeEmail,
  subscriptionsOfEvent,
  type CatalogReferences,
} from '../mapping';
import type { BatchEvents } from './batch-events';
import {
  getCatalog,
  upsertCatalog,
  upsertCharges,
  upsertCustomers,
  upsertLatestCharges,
  upsertSubscriptions,
  type CatalogKind,
} from '../db/mirror';
import { IMPORT_PAGE_SIZE } from '../workflows/constants';
import { CUSTOMER_EXPANSIONS, SUBSCRIPTION_LIST_EXPANSIONS } from '../vendors/stripe';
import { forEachLimit } from './concurrency';
import { isLiveWork } from '../shared/live-work';

/**
 * Customers of one batch read from Stripe at once. The worker's StripePacer keeps every call under Stripe's limits
 * (100 requests/s per account, 25/s per endpoint), so this only has to offer it enough calls to hide Stripe's latency
 * (~0.3 s a read: about 22/s per endpoint needs ~7 in flight across the running batches).
 */
const STRIPE_READS_IN_PARALLEL = 8;

/**
 * A live batch (asLiveWork) reads all its customers at once: someone waits for each, and the pacer still keeps the
 * calls within the budget. Eight at a time, a batch of 11 customers the import had not read yet took two rounds of
 * two paced stages each, 4.8 s of Stripe reads, in the fleet bench (`npm run bench:fleet -- --arrival-seconds 300`).
 */
function readsInParallel(customers: number): number {
  return isLiveWork() ? customers : STRIPE_READS_IN_PARALLEL;
}

/**
 * Re-reads customers from Stripe into the mirror (current state, the convergence rule), three calls per customer,
 * sent together: the customer with its payment methods, all its subscriptions (canceled ones included, discounts
 * expanded), and its latest 100 charges (older ones were mirrored by the import); plus any price, product or coupon
 * the mirror lacks. The lists go with the customer's read rather than after it: one paced round trip instead of two,
 * at the cost of two wasted reads for a customer deleted or never in this account (their answers are ignored).
 */
export async function rereadCustomers(
  stripe: Stripe,
  pool: Pool,
  installId: string,
  customerIds: string[],
  onProgress: (customerId: string) => void,
): Promise<void> {
  await forEachLimit(customerIds, readsInParallel(customerIds.length), async (customerId) => {
    const observedAt = new Date();
    const customerRead = retrieveCustomer(stripe, customerId);
    const listsRead = Promise.all([
      stripe.subscriptions.list({
        customer: customerId,
        status: 'all',
        limit: IMPORT_PAGE_SIZE,
        expand: SUBSCRIPTION_LIST_EXPANSIONS,
      }),
      stripe.charges.list({ customer: customerId, limit: IMPORT_PAGE_SIZE }),
    ]);
    // Awaited only for a customer that exists: for the others (or when the customer's read fails) it may reject.
    listsRead.catch(() => undefined);
    const customer = await customerRead;
    if (!customer) return onProgress(customerId);
    if (customer.deleted) {
      await upsertCustomers(pool, installId, [
        { customerId, emailNormalized: null, deleted: true, customer, observedAt },
      ]);
      return onProgress(customerId);
    }
    const [subscriptions, charges] = await listsRead;
    await upsertSubscriptions(pool, installId, subscriptions.data, observedAt);
    await upsertCharges(pool, installId, charges.data, observedAt);
    const latest = charges.data[0];
    if (latest) {
      await upsertLatestCharges(
        pool,
        installId,
        [{ customerId, charge: { id: latest.id, status: latest.status, created: latest.created }, observedAt }],
        { customerLists: true },
      );
    }
    await fillCatalog(stripe, pool, installId, catalogReferences(subscriptions.data, customer.discount));
    // Written last: the contact writer reads the customer row, which must not be newer than its subscriptions.
    await upsertCustomers(pool, installId, [
      { customerId, emailNormalized: normalizeEmail(customer.email), deleted: false, customer, observedAt },
    ]);
    onProgress(customerId);
  });
}

export async function retrieveCustomer(stripe: Stripe, customerId: string) {
  try {
    return await stripe.customers.retrieve(customerId, { expand: CUSTOMER_EXPANSIONS });
  } catch (err) {
    // A customer id that never existed in this account (a foreign event): nothing to mirror.
    if ((err as { code?: string }).code === 'resource_missing') return undefined;
    throw err;
  }
}

/**
 * Fetches the products and tiered prices that subscription data events refer to (their plan and price metadata) and
 * the mirror lacks. A subscription created and canceled before its new product's `product.created` arrives is no
 * longer among its customer's subscriptions, so refreshing the customer does not fetch them.
 */
export async function fillCatalogForEvents(stripe: Stripe, pool: Pool, installId: string, batchEvents: BatchEvents) {
  const subscriptions = (await batchEvents.all()).flatMap(({ type, payload }) =>
    DATA_EVENT_TYPES.has(type as Stripe.Event.Type) ? subscriptionsOfEvent(payload) : [],
  );
  if (subscriptions.length > 0) await fillCatalog(stripe, pool, installId, catalogReferences(subscriptions));
}

/** Fetches the catalogue objects referred to that the mirror does not hold yet. */
async function fillCatalog(stripe: Stripe, pool: Pool, installId: string, references: CatalogReferences) {
  const known = await getCatalog(pool, installId, [
    ...references.productIds,
    ...references.priceIds,
    ...references.couponIds,
  ]);
  const knownIds = new Set([...known.products, ...known.prices, ...known.coupons].map((object) => object.id));
  const fetchers: [CatalogKind, string[], (id: string) => Promise<{ id: string }>][] = [
    ['product', references.productIds, (id) => stripe.products.retrieve(id)],
    ['price', references.priceIds, (id) => stripe.prices.retrieve(id, { expand: ['tiers'] })],
    ['coupon', references.couponIds, (id) => stripe.coupons.retrieve(id)],
  ];
  const observedAt = new Date();
  for (const [kind, ids, fetch] of fetchers) {
    for (const id of ids.filter((candidate) => !knownIds.has(candidate))) {
      const data = await fetch(id).catch((err: unknown) => {
        // A coupon deleted in Stripe still discounts the subscriptions that have it, but can no longer be read: its
        // discount is left out of MRR (a tombstone stops further lookups) rather than failing the batch for ever.
        if (kind !== 'coupon' || (err as { code?: string }).code !== 'resource_missing') throw err;
        log.warn('discount coupon deleted in Stripe: its discount is left out of MRR', { couponId: id });
        return { id, object: 'coupon', deleted: true };
      });
      await upsertCatalog(pool, installId, [{ id: data.id, kind, data }], observedAt);
    }
  }
}
