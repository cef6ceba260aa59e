import type Stripe from 'stripe';
import { couponOf, type Catalog } from './catalog';

/** A discount that currently reduces recurring revenue, reduced to what the MRR arithmetic needs. */
export interface ActiveCoupon {
  percentOff: number | null;
  /** Per billing period, in the subscription's currency (minor units). */
  amountOff: number | null;
  /** Products the coupon is restricted to (`applies_to.products`); null when it applies to every item. */
  productIds: ReadonlySet<string> | null;
}

/**
 * Whether a discount still applies at `now` (unix seconds). `forever` always does; `repeating` until its `end`.
 * A `once` coupon covers a single invoice, and Stripe leaves its `end` null, so it never reduces recurring revenue.
 */
export function isDiscountActive(discount: Stripe.Discount, coupon: Stripe.Coupon, now: number): boolean {
  if (discount.end != null && discount.end <= now) return false;
  switch (coupon.duration) {
    case 'forever':
      return true;
    case 'repeating':
    case 'once':
      return discount.end != null;
    default:
      return false;
  }
}

/**
 * Resolves discounts (ids or objects) to the active coupons that apply in `currency`, in their original order.
 * Unexpanded discount ids, coupons missing from the catalog, and amount-off coupons in another currency are skipped:
 * they cannot be priced (`catalogReferences` lists what the catalog must hold).
 */
export function activeCoupons(
  discounts: ReadonlyArray<string | Stripe.Discount>,
  currency: string,
  catalog: Catalog,
  now: number,
): ActiveCoupon[] {
  const active: ActiveCoupon[] = [];
  for (const discount of discounts) {
    if (typeof discount === 'string') continue;
    const coupon = couponOf(discount, catalog);
    if (!coupon || !isDiscountActive(discount, coupon, now)) continue;
    const resolved = toActiveCoupon(coupon, currency);
    if (resolved) active.push(resolved);
  }
  return active;
}

/** Applies coupons in order to one amount (never below 0); `amountOff` is per period, like `amount`. */
export function applyCoupons(amount: number, coupons: ReadonlyArray<ActiveCoupon>): number {
  return coupons.reduce((remaining, coupon) => {
    if (coupon.percentOff != null) return remaining * (1 - coupon.percentOff / 100);
    if (coupon.amountOff != null) return Math.max(0, remaining - coupon.amountOff);
    return remaining;
  }, amount);
}

function toActiveCoupon(coupon: Stripe.Coupon, currency: string): ActiveCoupon | null {
  const productIds = coupon.applies_to?.products ? new Set(coupon.applies_to.products) : null;
  if (coupon.percent_off != null) return { percentOff: clampPercent(coupon.percent_off), amountOff: null, productIds };
  const amountOff = amountOffIn(coupon, currency);
  return amountOff == null ? null : { percentOff: null, amountOff, productIds };
}

function amountOffIn(coupon: Stripe.Coupon, currency: string): number | null {
  if (coupon.amount_off == null) return null;
  const wanted = currency.toLowerCase();
  if (coupon.currency?.toLowerCase() === wanted) return coupon.amount_off;
  return coupon.currency_options?.[wanted]?.amount_off ?? null;
}

function clampPercent(percent: number): number {
  return Math.min(100, Math.max(0, percent));
}
