import type Stripe from 'stripe';
import { intervalLabel, itemAmountPerPeriod, productNameOf, toMajorUnits, type Catalog } from '../mapping';

/** One subscription as a teammate reads it. Dates are unix seconds; amount in major units per interval. */
export interface SubscriptionLine {
  id: string;
  status: Stripe.Subscription.Status;
  plan: string | null;
  interval: string | null;
  amount: number | null;
  currency: string;
  periodEnd: number | null;
  cancelAt: number | null;
  trialEnd: number | null;
  endedAt: number | null;
}

/** The newest `limit` subscriptions (canceled ones included), newest first. */
export function subscriptionLines(
  subscriptions: Stripe.Subscription[],
  catalog: Catalog,
  limit: number,
): SubscriptionLine[] {
  return [...subscriptions]
    .sort((a, b) => b.created - a.created)
    .slice(0, limit)
    .map((subscription) => subscriptionLine(subscription, catalog));
}

function subscriptionLine(subscription: Stripe.Subscription, catalog: Catalog): SubscriptionLine {
  const items = subscription.items.data.map((item) => ({ item, amount: itemAmountPerPeriod(item, catalog) }));
  const largest = [...items].sort((a, b) => (b.amount ?? -1) - (a.amount ?? -1))[0]?.item;
  const recurring = largest?.price.recurring;
  const known = items.filter((entry) => entry.amount !== null);
  const total = known.reduce((sum, entry) => sum + (entry.amount ?? 0), 0);
  const periodEnd = largest?.current_period_end ?? null;
  return {
    id: subscription.id,
    status: subscription.status,
    plan: largest ? (largest.price.nickname ?? productNameOf(largest.price, catalog) ?? largest.price.id) : null,
    interval: recurring ? intervalLabel(recurring) : null,
    amount: known.length > 0 ? toMajorUnits(total, subscription.currency) : null,
    currency: subscription.currency,
    periodEnd,
    cancelAt: subscription.cancel_at ?? (subscription.cancel_at_period_end ? periodEnd : null),
    trialEnd: subscription.trial_end ?? null,
    endedAt: subscription.ended_at ?? null,
  };
}
