import type Stripe from 'stripe';
import { decimalString } from './common';

export interface ProductFields {
  id: string;
  created: number;
  livemode: boolean;
  name: string;
  description?: string | null;
  active?: boolean;
  metadata?: Record<string, string>;
}

export function buildProduct(fields: ProductFields): Stripe.Product {
  return {
    id: fields.id,
    object: 'product',
    active: fields.active ?? true,
    created: fields.created,
    default_price: null,
    description: fields.description ?? null,
    images: [],
    livemode: fields.livemode,
    marketing_features: [],
    metadata: fields.metadata ?? {},
    name: fields.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: null,
    tax_code: null,
    tax_details: null,
    type: 'service',
    unit_label: null,
    updated: fields.created,
    url: null,
  };
}

export interface TierFields {
  upTo: number | null;
  unitAmount?: number | null;
  flatAmount?: number | null;
}

export interface PriceFields {
  id: string;
  created: number;
  livemode: boolean;
  product: string;
  currency: string;
  nickname?: string | null;
  /** Absent for tiered prices. */
  unitAmount?: number | null;
  recurring?: { interval: Stripe.Price.Recurring.Interval; intervalCount: number; usageType: 'licensed' | 'metered' };
  tiersMode?: Stripe.Price.TiersMode | null;
  lookupKey?: string | null;
  active?: boolean;
  metadata?: Record<string, string>;
  /**
   * "Whether the price is considered inclusive of taxes or exclusive of taxes": `inclusive`, `exclusive` or
   * `unspecified` (https://docs.stripe.com/api/prices/object#price_object-tax_behavior). It decides whether Stripe Tax
   * adds tax on top of `unit_amount` or takes it out of it; `unit_amount` itself never changes.
   */
  taxBehavior?: Stripe.Price.TaxBehavior;
}

/** A price without `tiers`: Stripe includes those only when `tiers` is expanded. */
export function buildPrice(fields: PriceFields): Stripe.Price {
  const unitAmount = fields.tiersMode ? null : (fields.unitAmount ?? null);
  return {
    id: fields.id,
    object: 'price',
    active: fields.active ?? true,
    billing_scheme: fields.tiersMode ? 'tiered' : 'per_unit',
    created: fields.created,
    currency: fields.currency,
    custom_unit_amount: null,
    livemode: fields.livemode,
    lookup_key: fields.lookupKey ?? null,
    metadata: fields.metadata ?? {},
    nickname: fields.nickname ?? null,
    product: fields.product,
    recurring: fields.recurring
      ? {
          interval: fields.recurring.interval,
          interval_count: fields.recurring.intervalCount,
          // Metered prices bill through a Billing Meter; the emulator names a stand-in meter.
          meter: fields.recurring.usageType === 'metered' ? `mtr_${fields.id.slice(6, 30)}` : null,
          trial_period_days: null,
          usage_type: fields.recurring.usageType,
        }
      : null,
    tax_behavior: fields.taxBehavior ?? 'unspecified',
    tiers_mode: fields.tiersMode ?? null,
    transform_quantity: null,
    type: fields.recurring ? 'recurring' : 'one_time',
    unit_amount: unitAmount,
    unit_amount_decimal: unitAmount === null ? null : decimalString(unitAmount),
  };
}

export function buildTiers(tiers: readonly TierFields[]): Stripe.Price.Tier[] {
  return tiers.map((tier) => ({
    flat_amount: tier.flatAmount ?? null,
    flat_amount_decimal: tier.flatAmount == null ? null : decimalString(tier.flatAmount),
    unit_amount: tier.unitAmount ?? null,
    unit_amount_decimal: tier.unitAmount == null ? null : decimalString(tier.unitAmount),
    up_to: tier.upTo,
  }));
}

export interface CouponFields {
  id: string;
  created: number;
  livemode: boolean;
  name?: string | null;
  percentOff?: number | null;
  amountOff?: number | null;
  currency?: string | null;
  duration: Stripe.Coupon.Duration;
  durationInMonths?: number | null;
}

export function buildCoupon(fields: CouponFields): Stripe.Coupon {
  return {
    id: fields.id,
    object: 'coupon',
    amount_off: fields.amountOff ?? null,
    created: fields.created,
    currency: fields.amountOff == null ? null : (fields.currency ?? null),
    duration: fields.duration,
    duration_in_months: fields.duration === 'repeating' ? (fields.durationInMonths ?? null) : null,
    livemode: fields.livemode,
    max_redemptions: null,
    metadata: {},
    name: fields.name ?? null,
    percent_off: fields.percentOff ?? null,
    redeem_by: null,
    times_redeemed: 0,
    valid: true,
  };
}
