import type Stripe from 'stripe';
import { EMPTY_CATALOG, type Catalog } from './catalog';
import { compareIds, compareRankKeys, primarySubscription, subscriptionRankKey } from './subscription';

type StripeCustomer = Stripe.Customer | Stripe.DeletedCustomer;

/**
 * A Stripe customer (its expanded `subscriptions` used), or a record carrying one with all its subscriptions (such as
 * a mirror row).
 */
export type ContactCandidate =
  StripeCustomer | { customer: StripeCustomer; subscriptions: ReadonlyArray<Stripe.Subscription> };

export interface ContactRankingContext {
  catalog?: Catalog;
  /**
   * Unix seconds. Without it subscriptions compare on their lasting value: limited-time (repeating) discounts and
   * item trials count as over.
   */
  now?: number;
}

/**
 * When several Stripe customers share one email, the contact shows the one whose primary subscription ranks highest
 * (by status, then monthly value, then newest subscription: the customer most likely to be the one paying). Ties,
 * including no subscription on either side, go to the newest customer, then to the higher id so the choice never
 * depends on input order. Deleted
 * customers lose to live ones.
 */
export function pickContactCustomer<T extends ContactCandidate>(
  candidates: ReadonlyArray<T>,
  context: ContactRankingContext = {},
): T | null {
  const catalog = context.catalog ?? EMPTY_CATALOG;
  const now = context.now ?? Number.POSITIVE_INFINITY;
  const ranked = candidates.map((candidate) => {
    const customer = customerOf(candidate);
    if (customer.deleted) return { candidate, id: customer.id, live: null };
    // Each customer's subscriptions are valued with that customer's own discount.
    const pricing = { catalog, now, customerDiscount: customer.discount };
    const subscriptions = 'object' in candidate ? (customer.subscriptions?.data ?? []) : candidate.subscriptions;
    const primary = primarySubscription(subscriptions, pricing);
    return {
      candidate,
      id: customer.id,
      live: { created: customer.created, primaryKey: primary ? subscriptionRankKey(primary, pricing) : null },
    };
  });
  ranked.sort((a, b) => {
    const byId = compareIds(b.id, a.id);
    if (!a.live || !b.live) return Number(!a.live) - Number(!b.live) || byId;
    const aKey = a.live.primaryKey;
    const bKey = b.live.primaryKey;
    const bySubscription = aKey && bKey ? compareRankKeys(aKey, bKey) : Number(!aKey) - Number(!bKey);
    return bySubscription || b.live.created - a.live.created || byId;
  });
  return ranked[0]?.candidate ?? null;
}

function customerOf(candidate: ContactCandidate): StripeCustomer {
  return 'object' in candidate ? candidate : candidate.customer;
}
