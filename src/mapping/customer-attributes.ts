import type Stripe from 'stripe';
import { attributeName, metadataAttributeNames, type AttributeSuffix, type CustomAttributes } from './attributes';
import { cardExpiresAt, defaultCard } from './card';
import { productNameOf, type Catalog } from './catalog';
import { intervalLabel } from './interval';
import { toMajorUnits } from './money';
import { customerMrr, type PricingContext } from './mrr';
import { itemAmountPerPeriod } from './price';
import { metadataValue } from './metadata';
import { truncateForIntercom } from './strings';
import { isOngoingSubscription, primaryItem, primarySubscription } from './subscription';

const TWO_DECIMAL_FALLBACK_CURRENCY = 'usd';

export interface LatestChargeSummary {
  status: Stripe.Charge.Status;
  created: number;
}

export interface CustomerAttributesInput {
  customer: Stripe.Customer | Stripe.DeletedCustomer;
  /**
   * The customer's subscriptions when known apart from the customer (a customer list expands at most 10);
   * otherwise `customer.subscriptions` must be expanded.
   */
  subscriptions?: ReadonlyArray<Stripe.Subscription>;
  /** Undefined: not known, the attribute is left out. Null: the customer has no charge. */
  latestCharge?: LatestChargeSummary | null;
  catalog: Catalog;
  prefix: string;
  metadataKeys: ReadonlyArray<string>;
  /** Unix seconds. */
  now: number;
}

/**
 * Design §4 attributes for one customer: dates in unix seconds, amounts in major units, strings ≤255 characters,
 * null where a value does not apply. Attributes whose source was not expanded are left out so the values already in
 * Intercom stay. A deleted customer yields only `<prefix>id` and `<prefix>deleted`.
 */
export function customerAttributes(input: CustomerAttributesInput): CustomAttributes {
  const { customer, prefix } = input;
  const name = (suffix: AttributeSuffix): string => attributeName(prefix, suffix);
  if (customer.deleted) return { [name('id')]: customer.id, [name('deleted')]: true };

  const context: PricingContext = { catalog: input.catalog, now: input.now, customerDiscount: customer.discount };
  const allSubscriptions = input.subscriptions ?? expandedSubscriptions(customer);
  const ongoing = allSubscriptions.filter(isOngoingSubscription);
  // Canceled subscriptions take part only when the caller passes them: they then show a churned customer's last plan.
  const primary = primarySubscription(allSubscriptions, context);
  const card = defaultCard(customer);
  // A customer never billed has no currency (and a zero balance): read the balance as two-decimal then.
  const balanceCurrency = customer.currency ?? primary?.currency ?? TWO_DECIMAL_FALLBACK_CURRENCY;

  const attributes: CustomAttributes = {
    [name('id')]: customer.id,
    [name('account_balance')]: toMajorUnits(customer.balance, balanceCurrency),
    [name('currency')]: customer.currency ?? null,
    [name('delinquent')]: customer.delinquent ?? null,
    ...primarySubscriptionAttributes(primary, input.catalog, name),
    [name('mrr')]: customerMrr(ongoing, customer.currency ?? primary?.currency, context),
    [name('subscription_count')]: ongoing.length,
    [name('customer_since')]: customer.created,
    [name('deleted')]: false,
  };
  if (card !== undefined) {
    attributes[name('card_brand')] = card ? truncateForIntercom(card.brand) : null;
    attributes[name('card_expires_at')] = card ? cardExpiresAt(card.expMonth, card.expYear) : null;
  }
  if (input.latestCharge !== undefined) {
    attributes[name('last_charge_failed')] = input.latestCharge?.status === 'failed';
  }
  for (const [key, attribute] of metadataAttributeNames(prefix, input.metadataKeys)) {
    const value = metadataValue(customer.metadata, key);
    attributes[attribute] = value === null ? null : truncateForIntercom(value);
  }
  return attributes;
}

function primarySubscriptionAttributes(
  subscription: Stripe.Subscription | null,
  catalog: Catalog,
  name: (suffix: AttributeSuffix) => string,
): CustomAttributes {
  const item = subscription ? primaryItem(subscription, catalog) : null;
  const price = item?.price;
  const periodAmount = item ? itemAmountPerPeriod(item, catalog) : null;
  const planName = price ? (price.nickname ?? productNameOf(price, catalog)) : null;
  return {
    [name('plan_name')]: planName == null ? null : truncateForIntercom(planName),
    [name('plan_price')]: price && periodAmount != null ? toMajorUnits(periodAmount, price.currency) : null,
    [name('plan_interval')]: price?.recurring ? intervalLabel(price.recurring) : null,
    [name('subscription_status')]: subscription?.status ?? null,
    [name('subscription_period_start')]: item?.current_period_start ?? null,
    [name('trial_end')]: subscription?.trial_end ?? null,
    [name('cancel_at_period_end')]: subscription?.cancel_at_period_end ?? null,
  };
}

/**
 * Whether the caller must list the customer's subscriptions before mapping: they were not expanded, or the expanded
 * list is only the first page.
 */
export function needsSubscriptionList(customer: Stripe.Customer | Stripe.DeletedCustomer): boolean {
  if (customer.deleted) return false;
  return !customer.subscriptions || customer.subscriptions.has_more;
}

function expandedSubscriptions(customer: Stripe.Customer): ReadonlyArray<Stripe.Subscription> {
  if (!customer.subscriptions) {
    throw new Error(`customer ${customer.id}: expand subscriptions or pass them in`);
  }
  return customer.subscriptions.data;
}
