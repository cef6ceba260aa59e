import type Stripe from 'stripe';
import { priceWithTiers, type Catalog } from './catalog';
import { activeCoupons, applyCoupons, type ActiveCoupon } from './discounts';
import { monthlyFactor } from './interval';
import { toMajorUnits } from './money';
import { isMetered, priceAmountForQuantity } from './price';

export interface PricingContext {
  catalog: Catalog;
  /** Unix seconds; decides which discounts and item trials are still running. */
  now: number;
  /** The customer's own discount: Stripe applies it to subscriptions that carry no discount of their own. */
  customerDiscount?: Stripe.Discount | null;
}

/**
 * Trialing, unpaid, paused, incomplete and canceled subscriptions bring no recurring revenue: they are not being paid
 * for now (past_due is, late: Stripe is still retrying the invoice).
 */
const REVENUE_STATUSES: ReadonlySet<string> = new Set(['active', 'past_due']);

interface RevenueLine {
  productId: string;
  monthlyFactor: number;
  monthly: number;
}

/**
 * Monthly recurring revenue of one subscription in minor units (fractional): 0 unless active or past_due, and 0 while
 * its payment collection is paused.
 */
export function subscriptionMrr(subscription: Stripe.Subscription, context: PricingContext): number {
  if (!REVENUE_STATUSES.has(subscription.status) || isCollectionPaused(subscription, context.now)) return 0;
  return subscriptionMonthlyValue(subscription, context);
}

/**
 * Payment collection paused (`pause_collection`, https://docs.stripe.com/billing/subscriptions/pause-payment): the
 * subscription stays `active` and keeps generating invoices, but Stripe collects nothing ("temporarily offer a
 * customer your services for free"; invoices stay drafts, are marked uncollectible or voided by `behavior`), until
 * `resumes_at` when one is set (https://docs.stripe.com/api/subscriptions/object#subscription_object-pause_collection).
 * No revenue recurs while it lasts, so MRR counts it as 0, and `STRIPE_collection_paused` says why.
 */
export function isCollectionPaused(subscription: Stripe.Subscription, now: number): boolean {
  const pause = subscription.pause_collection;
  return pause != null && (pause.resumes_at == null || pause.resumes_at > now);
}

/**
 * What the subscription is worth per month whatever its status: licensed items, monthly-normalised, discounts
 * applied (item discounts first, then subscription discounts, as Stripe does), tax excluded (prices are pre-tax).
 */
export function subscriptionMonthlyValue(subscription: Stripe.Subscription, context: PricingContext): number {
  const { catalog, now } = context;
  const currency = subscription.currency;
  const itemLines = subscription.items.data.map((item) => itemRevenueLine(item, currency, context));
  const ownDiscounts = subscription.discounts;
  const subscriptionDiscounts =
    ownDiscounts.length > 0 ? ownDiscounts : context.customerDiscount ? [context.customerDiscount] : [];
  const discountedLines = activeCoupons(subscriptionDiscounts, currency, catalog, now).reduce(
    applySubscriptionCoupon,
    itemLines,
  );
  return discountedLines.reduce((sum, line) => sum + line.monthly, 0);
}

/**
 * Customer MRR in major units, rounded to 2 decimals: the sum over active and past_due subscriptions billed in the
 * customer's currency (subscriptions in another currency cannot be added without an exchange rate).
 */
export function customerMrr(
  subscriptions: ReadonlyArray<Stripe.Subscription>,
  customerCurrency: string | null | undefined,
  context: PricingContext,
): number {
  const currency = customerCurrency ?? subscriptions[0]?.currency;
  if (!currency) return 0;
  const minor = subscriptions
    .filter((subscription) => subscription.currency.toLowerCase() === currency.toLowerCase())
    .reduce((sum, subscription) => sum + subscriptionMrr(subscription, context), 0);
  return toMajorUnits(minor, currency);
}

function itemRevenueLine(item: Stripe.SubscriptionItem, currency: string, context: PricingContext): RevenueLine {
  const price = priceWithTiers(item.price, context.catalog);
  const productId = typeof price.product === 'string' ? price.product : price.product.id;
  const recurring = price.recurring;
  if (!recurring || isMetered(price) || isInItemTrial(item, context.now)) {
    return { productId, monthlyFactor: 0, monthly: 0 };
  }
  const periodAmount = priceAmountForQuantity(price, item.quantity ?? 1) ?? 0;
  const coupons = activeCoupons(item.discounts, currency, context.catalog, context.now).filter((coupon) =>
    couponCoversProduct(coupon, productId),
  );
  // Amount-off coupons are per billing period, so they come off before normalising to a month.
  const factor = monthlyFactor(recurring);
  return { productId, monthlyFactor: factor, monthly: applyCoupons(periodAmount, coupons) * factor };
}

/**
 * A subscription-level coupon: percent-off scales every covered line; amount-off (per billing period) is converted
 * to a month with the covered lines' interval and shared between them pro rata, never taking a line below 0.
 */
function applySubscriptionCoupon(lines: RevenueLine[], coupon: ActiveCoupon): RevenueLine[] {
  const covered = (line: RevenueLine): boolean => line.monthly > 0 && couponCoversProduct(coupon, line.productId);
  if (coupon.percentOff != null) {
    const keep = 1 - coupon.percentOff / 100;
    return lines.map((line) => (covered(line) ? { ...line, monthly: line.monthly * keep } : line));
  }
  const coveredLines = lines.filter(covered);
  const coveredTotal = coveredLines.reduce((sum, line) => sum + line.monthly, 0);
  const firstCovered = coveredLines[0];
  if (coupon.amountOff == null || !firstCovered || coveredTotal <= 0) return lines;
  // All items of a subscription share one billing interval (Stripe's rule outside flexible billing mode).
  const monthlyReduction = Math.min(coveredTotal, coupon.amountOff * firstCovered.monthlyFactor);
  const keep = 1 - monthlyReduction / coveredTotal;
  return lines.map((line) => (covered(line) ? { ...line, monthly: line.monthly * keep } : line));
}

function couponCoversProduct(coupon: ActiveCoupon, productId: string): boolean {
  return coupon.productIds === null || coupon.productIds.has(productId);
}

function isInItemTrial(item: Stripe.SubscriptionItem, now: number): boolean {
  return item.current_trial != null && item.current_trial.end_date > now;
}
