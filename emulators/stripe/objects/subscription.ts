import type Stripe from 'stripe';
import { periodAt } from './periods';

export interface SubscriptionItemFields {
  id: string;
  created: number;
  price: Stripe.Price;
  quantity?: number;
  /** Discount ids applied to this item only. */
  discounts?: string[];
}

export interface SubscriptionFields {
  id: string;
  created: number;
  livemode: boolean;
  customer: string;
  items: SubscriptionItemFields[];
  status: Stripe.Subscription.Status;
  trialStart?: number | null;
  trialEnd?: number | null;
  cancelAtPeriodEnd?: boolean;
  canceledAt?: number | null;
  endedAt?: number | null;
  discounts?: string[];
  latestInvoice?: string | null;
  metadata?: Record<string, string>;
}

/** The subscription fields that decide where its items' billing periods fall. */
type PeriodBasis = Pick<
  Stripe.Subscription,
  'billing_cycle_anchor' | 'status' | 'trial_start' | 'trial_end' | 'ended_at'
>;

/**
 * An item's current period (on the item since API 2025-03-31): the trial while trialing, the last billed
 * period once ended, else the period around `now` counted from the billing cycle anchor.
 */
function itemPeriod(subscription: PeriodBasis, price: Stripe.Price, now: number): { start: number; end: number } {
  if (subscription.status === 'trialing' && subscription.trial_start !== null && subscription.trial_end !== null) {
    return { start: subscription.trial_start, end: subscription.trial_end };
  }
  const recurring = price.recurring ?? { interval: 'month', interval_count: 1 };
  const at = subscription.ended_at !== null ? subscription.ended_at - 1 : now;
  return periodAt(
    subscription.billing_cycle_anchor,
    { interval: recurring.interval, count: recurring.interval_count },
    at,
  );
}

export function buildSubscriptionItem(
  subscription: PeriodBasis & { id: string },
  fields: SubscriptionItemFields,
  now: number,
): Stripe.SubscriptionItem {
  const period = itemPeriod(subscription, fields.price, now);
  const metered = fields.price.recurring?.usage_type === 'metered';
  return {
    id: fields.id,
    object: 'subscription_item',
    billing_thresholds: null,
    created: fields.created,
    current_period_end: period.end,
    current_period_start: period.start,
    current_trial: null,
    discounts: fields.discounts ?? [],
    metadata: {},
    plan: planFromPrice(fields.price),
    price: fields.price,
    // Metered items carry no quantity: usage is reported to the meter instead.
    ...(metered ? {} : { quantity: fields.quantity ?? 1 }),
    subscription: subscription.id,
    tax_rates: [],
  };
}

export function buildSubscription(fields: SubscriptionFields, now: number): Stripe.Subscription {
  const trialEnd = fields.trialEnd ?? null;
  const basis: PeriodBasis & { id: string } = {
    id: fields.id,
    billing_cycle_anchor: trialEnd ?? fields.created,
    status: fields.status,
    trial_start: trialEnd === null ? null : (fields.trialStart ?? fields.created),
    trial_end: trialEnd,
    ended_at: fields.endedAt ?? null,
  };
  const firstPrice = fields.items[0]?.price;
  return {
    id: fields.id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: basis.billing_cycle_anchor,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    canceled_at: fields.canceledAt ?? null,
    cancellation_details: {
      comment: null,
      feedback: null,
      feedback_option: null,
      reason: fields.canceledAt ? 'cancellation_requested' : null,
    },
    collection_method: 'charge_automatically',
    created: fields.created,
    currency: firstPrice?.currency ?? 'usd',
    customer: fields.customer,
    customer_account: null,
    days_until_due: null,
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: fields.discounts ?? [],
    ended_at: basis.ended_at,
    invoice_settings: {
      account_tax_ids: null,
      custom_fields: null,
      description: null,
      footer: null,
      issuer: { type: 'self' },
    },
    items: {
      object: 'list',
      data: fields.items.map((item) => buildSubscriptionItem(basis, item, now)),
      has_more: false,
      url: `/v1/subscription_items?subscription=${fields.id}`,
    },
    latest_invoice: fields.latestInvoice ?? null,
    livemode: fields.livemode,
    managed_payments: null,
    metadata: fields.metadata ?? {},
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: null,
    start_date: fields.created,
    status: fields.status,
    test_clock: null,
    transfer_data: null,
    trial_end: basis.trial_end,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: basis.trial_start,
  };
}

/** Items still carry the legacy `plan`, a mirror of the price. */
function planFromPrice(price: Stripe.Price): Stripe.Plan {
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: price.recurring?.interval ?? 'month',
    interval_count: price.recurring?.interval_count ?? 1,
    livemode: price.livemode,
    metadata: price.metadata,
    meter: price.recurring?.meter ?? null,
    nickname: price.nickname,
    product: price.product,
    tiers_mode: price.tiers_mode,
    transform_usage: null,
    trial_period_days: null,
    usage_type: price.recurring?.usage_type ?? 'licensed',
  };
}
