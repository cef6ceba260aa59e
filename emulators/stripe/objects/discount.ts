import type Stripe from 'stripe';
import { boundary } from './periods';

export interface DiscountFields {
  id: string;
  customer: string;
  subscription: string | null;
  /** Set for a discount on one subscription item (`items[].discounts`). */
  subscriptionItem?: string;
  coupon: Stripe.Coupon;
  start: number;
}

/**
 * A discount as API 2025-09-30+ shapes it: the coupon sits under `source.coupon` as an id (expandable),
 * no longer as an auto-expanded `coupon` object.
 */
export function buildDiscount(fields: DiscountFields): Stripe.Discount {
  const months = fields.coupon.duration === 'repeating' ? (fields.coupon.duration_in_months ?? 0) : 0;
  return {
    id: fields.id,
    object: 'discount',
    checkout_session: null,
    customer: fields.customer,
    customer_account: null,
    end: months > 0 ? boundary(fields.start, { interval: 'month', count: months }, 1) : null,
    invoice: null,
    invoice_item: null,
    promotion_code: null,
    source: { coupon: fields.coupon.id, type: 'coupon' },
    start: fields.start,
    subscription: fields.subscription,
    subscription_item: fields.subscriptionItem ?? null,
  };
}
