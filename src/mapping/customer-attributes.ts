import type Stripe from 'stripe';
import { attributeName, metadataAttributeNames, type AttributeSuffix, type CustomAttributes } from './attributes';
import { cardExpiresAt, payingMethod } from './card';
import { productNameOf, type Catalog } from './catalog';
import { intervalLabel } from './interval';
import { toMajorUnits } from './money';
import { customerMrr, isCollectionPaused, type PricingContext } from './mrr';
import { metadataValue } from './metadata';
import { truncateForIntercom } from './strings';
import {
  isOngoingSubscription,
  primaryItem,
  primarySubscription,
  scheduledCancellation,
  subscriptionAmountPerPeriod,
} from './subscription';

const TWO_DECIMAL_FALLBACK_CURRENCY = 'usd';

export interface LatestChargeSummary {
  status: Stripe.Charge.Status;
  created: number;
}

/** What the customer's charges add up to (read from every charge, not only the latest). */
export interface ChargeHistory {
  /** Latest succeeded charge; amount in minor units of its currency. */
  lastSucceeded: { amount: number; currency: string; created: number } | null;
  /** Per lowercase currency: captured amounts of succeeded charges minus their refunds, minor units. */
  netByCurrency: Readonly<Record<string, number>>;
}

export interface CustomerAttributesInput {
  customer: Stripe.Customer | Stripe.DeletedCustomer;
  /**
   * Every subscription of the customer, canceled ones included (`GET /v1/subscriptions?status=all`): an expanded
   * `customer.subscriptions` holds at most 10 and never the canceled ones. Without it `customer.subscriptions` is
   * used.
   */
  subscriptions?: ReadonlyArray<Stripe.Subscription>;
  /** Undefined: not known, the attribute is left out. Null: the customer has no charge. */
  latestCharge?: LatestChargeSummary | null;
  /** Undefined: not known, the charge attributes are left out. */
  charges?: ChargeHistory;
  catalog: Catalog;
  prefix: string;
  metadataKeys: ReadonlyArray<string>;
  /** Unix seconds. */
  now: number;
}

/** Attributes that describe subscriptions and the paying method: all cleared when the customer is deleted. */
const SUBSCRIPTION_AND_CARD_SUFFIXES = [
  'plan_name',
  'plan_price',
  'plan_interval',
  'subscription_status',
  'subscription_period_start',
  'subscription_ended_at',
  'cancel_at',
  'payment_method_type',
  'card_brand',
  'card_expires_at',
  'trial_end',
  'cancel_at_period_end',
  'collection_paused',
  'collection_resumes_at',
] as const satisfies ReadonlyArray<AttributeSuffix>;

/** A customer's billing state as read (or mirrored): what `customerAttributes` needs beside the install's settings. */
export type CustomerBillingState = Pick<
  CustomerAttributesInput,
  'customer' | 'subscriptions' | 'latestCharge' | 'charges'
>;

/** `customerAttributes` with the install's own naming (its prefix and the metadata keys it copies). */
export function installCustomerAttributes(
  install: { attributePrefix: string; metadataAttributes: ReadonlyArray<string> },
  state: CustomerBillingState,
  catalog: Catalog,
  now: number,
): CustomAttributes {
  return customerAttributes({
    customer: state.customer,
    subscriptions: state.subscriptions,
    latestCharge: state.latestCharge,
    charges: state.charges,
    catalog,
    prefix: install.attributePrefix,
    metadataKeys: install.metadataAttributes,
    now,
  });
}

/**
 * The attributes of docs/data.md for one customer: dates in unix seconds, amounts in major units, strings ≤255 characters,
 * null where a value does not apply. Attributes whose source was not read are left out so the values already in
 * Intercom stay. A deleted customer clears every subscription and card attribute with an explicit null (Intercom
 * merges custom attributes, so a left-out one would keep its old value).
 */
export function customerAttributes(input: CustomerAttributesInput): CustomAttributes {
  const { customer, prefix } = input;
  const name = (suffix: AttributeSuffix): string => attributeName(prefix, suffix);
  if (customer.deleted) return deletedCustomerAttributes(customer, name);

  const context: PricingContext = { catalog: input.catalog, now: input.now, customerDiscount: customer.discount };
  const allSubscriptions = input.subscriptions ?? expandedSubscriptions(customer);
  const ongoing = allSubscriptions.filter(isOngoingSubscription);
  // A churned customer (nothing ongoing) shows the subscription that ended last, with status `canceled`.
  const primary = primarySubscription(ongoing, context) ?? lastEnded(allSubscriptions);
  const currency = customer.currency ?? primary?.currency ?? null;
  // A customer never billed has no currency (and a zero balance): read the balance as two-decimal then.
  const balanceCurrency = currency ?? TWO_DECIMAL_FALLBACK_CURRENCY;

  const attributes: CustomAttributes = {
    [name('id')]: customer.id,
    [name('email')]: customer.email ? truncateForIntercom(customer.email.trim()) : null,
    [name('account_balance')]: toMajorUnits(customer.balance, balanceCurrency),
    [name('currency')]: customer.currency ?? null,
    [name('delinquent')]: customer.delinquent ?? null,
    ...primarySubscriptionAttributes(primary, input.catalog, input.now, name),
    [name('subscription_ended_at')]: ongoing.length === 0 ? (primary?.ended_at ?? null) : null,
    [name('mrr')]: customerMrr(ongoing, currency, context),
    [name('subscription_count')]: ongoing.length,
    [name('customer_since')]: customer.created,
    [name('deleted')]: false,
  };
  // A canceled subscription pays nothing: a churned customer's method is the customer's own default.
  const method = payingMethod(customer, primary && isOngoingSubscription(primary) ? primary : null);
  if (method !== undefined) {
    attributes[name('payment_method_type')] = method?.type ?? null;
    attributes[name('card_brand')] = method?.card ? truncateForIntercom(method.card.brand) : null;
    attributes[name('card_expires_at')] = method?.card
      ? cardExpiresAt(method.card.expMonth, method.card.expYear)
      : null;
  }
  if (input.latestCharge !== undefined) {
    attributes[name('last_charge_failed')] = input.latestCharge?.status === 'failed';
  }
  if (input.charges !== undefined) Object.assign(attributes, chargeAttributes(input.charges, currency, name));
  for (const [key, attribute] of metadataAttributeNames(prefix, input.metadataKeys)) {
    const value = metadataValue(customer.metadata, key);
    attributes[attribute] = value === null ? null : truncateForIntercom(value);
  }
  return attributes;
}

function deletedCustomerAttributes(
  customer: Stripe.DeletedCustomer,
  name: (suffix: AttributeSuffix) => string,
): CustomAttributes {
  const cleared = Object.fromEntries(SUBSCRIPTION_AND_CARD_SUFFIXES.map((suffix) => [name(suffix), null]));
  return {
    [name('id')]: customer.id,
    ...cleared,
    [name('mrr')]: 0,
    [name('subscription_count')]: 0,
    [name('deleted')]: true,
  };
}

function chargeAttributes(
  charges: ChargeHistory,
  customerCurrency: string | null,
  name: (suffix: AttributeSuffix) => string,
): CustomAttributes {
  const last = charges.lastSucceeded;
  // Amounts in different currencies cannot be added without an exchange rate: the customer's currency counts.
  const currency = (customerCurrency ?? last?.currency ?? null)?.toLowerCase() ?? null;
  const net = currency ? charges.netByCurrency[currency] : undefined;
  return {
    [name('last_charge_amount')]: last ? toMajorUnits(last.amount, last.currency) : null,
    [name('last_charge_at')]: last?.created ?? null,
    [name('total_spent')]: currency ? toMajorUnits(net ?? 0, currency) : 0,
  };
}

function primarySubscriptionAttributes(
  subscription: Stripe.Subscription | null,
  catalog: Catalog,
  now: number,
  name: (suffix: AttributeSuffix) => string,
): CustomAttributes {
  const item = subscription ? primaryItem(subscription, catalog) : null;
  const price = item?.price;
  const planName = price ? (price.nickname ?? productNameOf(price, catalog)) : null;
  const periodAmount = subscription ? subscriptionAmountPerPeriod(subscription, catalog) : null;
  const ongoing = subscription !== null && isOngoingSubscription(subscription);
  return {
    [name('plan_name')]: planName == null ? null : truncateForIntercom(planName),
    [name('plan_price')]:
      subscription && periodAmount != null ? toMajorUnits(periodAmount, subscription.currency) : null,
    [name('plan_interval')]: price?.recurring ? intervalLabel(price.recurring) : null,
    [name('subscription_status')]: subscription?.status ?? null,
    [name('subscription_period_start')]: item?.current_period_start ?? null,
    [name('trial_end')]: subscription?.trial_end ?? null,
    [name('cancel_at_period_end')]: subscription?.cancel_at_period_end ?? null,
    [name('cancel_at')]: ongoing ? scheduledCancellation(subscription, item) : null,
    [name('collection_paused')]: ongoing ? isCollectionPaused(subscription, now) : null,
    [name('collection_resumes_at')]:
      ongoing && isCollectionPaused(subscription, now) ? (subscription.pause_collection?.resumes_at ?? null) : null,
  };
}

function lastEnded(subscriptions: ReadonlyArray<Stripe.Subscription>): Stripe.Subscription | null {
  const endedAt = (subscription: Stripe.Subscription) => subscription.ended_at ?? subscription.canceled_at ?? 0;
  return [...subscriptions].sort((a, b) => endedAt(b) - endedAt(a) || b.created - a.created)[0] ?? null;
}

function expandedSubscriptions(customer: Stripe.Customer): ReadonlyArray<Stripe.Subscription> {
  if (!customer.subscriptions) {
    throw new Error(`customer ${customer.id}: expand subscriptions or pass them in`);
  }
  return customer.subscriptions.data;
}
