import type Stripe from 'stripe';
import { priceWithTiers, type Catalog } from './catalog';
import { monthlyFactor } from './interval';
import { subscriptionMonthlyValue, type PricingContext } from './mrr';
import { isMetered, itemAmountPerPeriod } from './price';

/** Design §4: active > trialing > past_due > unpaid > incomplete > paused > canceled, incomplete_expired last. */
export const SUBSCRIPTION_STATUS_RANK: Readonly<Record<string, number>> = {
  active: 8,
  trialing: 7,
  past_due: 6,
  unpaid: 5,
  incomplete: 4,
  paused: 3,
  canceled: 2,
  incomplete_expired: 1,
};

/** Higher is better; a status Stripe adds later ranks below every known one. */
export function subscriptionStatusRank(status: string): number {
  return SUBSCRIPTION_STATUS_RANK[status] ?? 0;
}

/** Subscriptions that still exist for the customer (Stripe's default subscription list shows the same set). */
export function isOngoingSubscription(subscription: Stripe.Subscription): boolean {
  return subscription.status !== 'canceled' && subscription.status !== 'incomplete_expired';
}

/**
 * Orders subscriptions best first: status rank, then monthly value (discounts applied; for a trialing subscription
 * the value it will bring, since its MRR is 0 for everyone), then newest `created`, then id so that the order never
 * depends on input order.
 */
export function compareSubscriptionPriority(
  a: Stripe.Subscription,
  b: Stripe.Subscription,
  context: PricingContext,
): number {
  return (
    subscriptionStatusRank(b.status) - subscriptionStatusRank(a.status) ||
    subscriptionMonthlyValue(b, context) - subscriptionMonthlyValue(a, context) ||
    b.created - a.created ||
    compareIds(a.id, b.id)
  );
}

export function primarySubscription(
  subscriptions: ReadonlyArray<Stripe.Subscription>,
  context: PricingContext,
): Stripe.Subscription | null {
  return [...subscriptions].sort((a, b) => compareSubscriptionPriority(a, b, context))[0] ?? null;
}

/**
 * The item that represents the subscription: highest monthly value before discounts; licensed items win ties over
 * metered ones, then Stripe's item order decides.
 */
export function primaryItem(subscription: Stripe.Subscription, catalog: Catalog): Stripe.SubscriptionItem | null {
  const ranked = subscription.items.data.map((item, position) => ({
    item,
    position,
    monthlyValue: itemMonthlyValue(item, catalog),
    metered: isMetered(item.price),
  }));
  ranked.sort(
    (a, b) =>
      b.monthlyValue - a.monthlyValue || Number(a.metered) - Number(b.metered) || a.position - b.position,
  );
  return ranked[0]?.item ?? null;
}

function itemMonthlyValue(item: Stripe.SubscriptionItem, catalog: Catalog): number {
  const recurring = priceWithTiers(item.price, catalog).recurring;
  if (!recurring) return 0;
  return (itemAmountPerPeriod(item, catalog) ?? 0) * monthlyFactor(recurring);
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
