import type Stripe from 'stripe';
import { priceWithTiers, type Catalog } from './catalog';
import { monthlyFactor } from './interval';
import { subscriptionMonthlyValue, type PricingContext } from './mrr';
import { isMetered, itemAmountPerPeriod, priceAmountForQuantity } from './price';

/** The primary-subscription order (docs/data.md): active > trialing > past_due > unpaid > incomplete > paused > canceled, incomplete_expired last. */
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

/** What subscriptions are ranked on, computed once per subscription. */
export interface SubscriptionRankKey {
  statusRank: number;
  /** Monthly value in minor units, discounts applied, whatever the status (see `subscriptionMonthlyValue`). */
  monthlyValue: number;
  created: number;
}

export function subscriptionRankKey(subscription: Stripe.Subscription, context: PricingContext): SubscriptionRankKey {
  return {
    statusRank: subscriptionStatusRank(subscription.status),
    monthlyValue: subscriptionMonthlyValue(subscription, context),
    created: subscription.created,
  };
}

/**
 * Best first: status rank, then monthly value (a trialing subscription's MRR is 0, so its value after the trial is
 * what separates two of them), then newest.
 */
export function compareRankKeys(a: SubscriptionRankKey, b: SubscriptionRankKey): number {
  return b.statusRank - a.statusRank || b.monthlyValue - a.monthlyValue || b.created - a.created;
}

/** The primary subscription (docs/data.md); the id settles exact ties so the choice never depends on input order. */
export function primarySubscription(
  subscriptions: ReadonlyArray<Stripe.Subscription>,
  context: PricingContext,
): Stripe.Subscription | null {
  const ranked = subscriptions.map((subscription) => ({
    subscription,
    key: subscriptionRankKey(subscription, context),
  }));
  ranked.sort((a, b) => compareRankKeys(a.key, b.key) || compareIds(a.subscription.id, b.subscription.id));
  return ranked[0]?.subscription ?? null;
}

/**
 * The item that represents the subscription (the plan, not an add-on, names it on the contact): among the items
 * that bill something, the largest recurring amount per unit, monthly-normalised, before discounts, so
 * "Pro $49 + 10 × $10 seats" is Pro; licensed items win ties over metered ones, then Stripe's item order decides.
 *
 * A licensed item at `quantity: 0` bills nothing (Stripe bills "unit_amount × quantity",
 * https://docs.stripe.com/products-prices/pricing-models#per-seat) and never defines the plan, however high its unit
 * price, unless every item is one. A free plan (a $0 price at quantity 1) is still a plan; metered items bill by
 * usage, not quantity.
 */
export function primaryItem(subscription: Stripe.Subscription, catalog: Catalog): Stripe.SubscriptionItem | null {
  const ranked = subscription.items.data.map((item, position) => ({
    item,
    position,
    billsNothing: isUnusedSeat(item, catalog),
    monthlyValue: unitMonthlyValue(item, catalog),
    metered: isMetered(item.price),
  }));
  ranked.sort(
    (a, b) =>
      Number(a.billsNothing) - Number(b.billsNothing) ||
      b.monthlyValue - a.monthlyValue ||
      Number(a.metered) - Number(b.metered) ||
      a.position - b.position,
  );
  return ranked[0]?.item ?? null;
}

/** A licensed item at quantity 0 that bills nothing (a graduated price's flat first tier still bills). */
function isUnusedSeat(item: Stripe.SubscriptionItem, catalog: Catalog): boolean {
  return item.quantity === 0 && !isMetered(item.price) && itemAmountPerPeriod(item, catalog) === 0;
}

function unitMonthlyValue(item: Stripe.SubscriptionItem, catalog: Catalog): number {
  const price = priceWithTiers(item.price, catalog);
  if (!price.recurring || isMetered(price)) return 0;
  return (priceAmountForQuantity(price, 1) ?? 0) * monthlyFactor(price.recurring);
}

/** When the subscription is set to end: `cancel_at`, else the period end when it cancels at period end. */
export function scheduledCancellation(
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem | null = null,
): number | null {
  if (subscription.cancel_at != null) return subscription.cancel_at;
  if (!subscription.cancel_at_period_end) return null;
  return (item ?? subscription.items.data[0])?.current_period_end ?? null;
}

/**
 * What the subscription bills per plan interval before discounts: every recurring licensed item (all items of a
 * subscription share one interval). Null when no item's amount can be known.
 */
export function subscriptionAmountPerPeriod(subscription: Stripe.Subscription, catalog: Catalog): number | null {
  const amounts = subscription.items.data
    .filter((item) => item.price.recurring != null)
    .map((item) => itemAmountPerPeriod(item, catalog))
    .filter((amount): amount is number => amount != null);
  return amounts.length === 0 ? null : amounts.reduce((sum, amount) => sum + amount, 0);
}

export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
