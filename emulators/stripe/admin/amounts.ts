import type Stripe from 'stripe';

/**
 * What one subscription item bills per period. Metered items bill reported usage, which the emulator
 * does not track, so they contribute nothing to invoices.
 */
export function itemAmount(price: Stripe.Price, quantity: number, tiers: readonly Stripe.Price.Tier[] = []): number {
  if (price.recurring?.usage_type === 'metered') return 0;
  if (price.billing_scheme !== 'tiered') return (price.unit_amount ?? 0) * quantity;
  if (price.tiers_mode === 'volume') {
    const tier = tiers.find((candidate) => candidate.up_to === null || quantity <= candidate.up_to) ?? tiers.at(-1);
    return tier === undefined ? 0 : (tier.unit_amount ?? 0) * quantity + (tier.flat_amount ?? 0);
  }
  let total = 0;
  let floor = 0;
  for (const tier of tiers) {
    if (quantity <= floor) break;
    const ceiling = tier.up_to ?? Infinity;
    total += (Math.min(quantity, ceiling) - floor) * (tier.unit_amount ?? 0) + (tier.flat_amount ?? 0);
    floor = ceiling;
  }
  return total;
}

/** What a coupon takes off a subtotal; an amount-off coupon in another currency does not apply. */
export function couponAmount(coupon: Stripe.Coupon, subtotal: number, currency: string): number {
  if (coupon.percent_off !== null) return Math.round((subtotal * coupon.percent_off) / 100);
  if (coupon.amount_off !== null && coupon.currency === currency) return Math.min(subtotal, coupon.amount_off);
  return 0;
}
