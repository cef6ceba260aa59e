import type Stripe from 'stripe';
import { EMPTY_CATALOG, productNameOf, type Catalog } from './catalog';
import { chargeMoney } from './charges';
import { DATA_EVENT_NAME_SUFFIXES } from './event-types';
import { intervalLabel } from './interval';
import { currencyDecimals } from './money';
import { subscriptionMrr } from './mrr';
import { truncateForIntercom } from './strings';
import { primaryItem, scheduledCancellation, subscriptionAmountPerPeriod } from './subscription';

/**
 * Intercom's "monetary amount" metadata: `amount` is "a positive integer representing the amount in cents"
 * (https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/data-events/createdataevent, the
 * metadata types table), lowercase ISO code.
 */
export interface MonetaryAmount {
  amount: number;
  currency: string;
}

/** Intercom metadata value types used here: string (≤255), number, date (key ends in `_date`), monetary amount. */
export type EventMetadataValue = string | number | MonetaryAmount;

export interface DataEvent {
  event_name: string;
  /** The Stripe event's `created`: with the event name and user it is Intercom's de-duplication key. */
  created_at: number;
  metadata: Record<string, EventMetadataValue>;
}

export interface DataEventOptions {
  /** Prepended to the data event names of docs/data.md (`stripe-` gives `stripe-invoice-created`). */
  eventNamePrefix?: string;
  /** For plan names and tiered prices in subscription events. */
  catalog?: Catalog;
}

export const DEFAULT_EVENT_NAME_PREFIX = 'stripe-';

/** Intercom keeps the first 10 metadata keys of an event and ignores the rest. */
export const MAX_EVENT_METADATA_KEYS = 10;

type MetadataEntry = readonly [key: string, value: EventMetadataValue | null | undefined];

/** The Intercom data event for a Stripe event (DATA_EVENT_TYPES lists them), or null for a type that is not one. */
export function dataEventFor(event: Stripe.Event, options: DataEventOptions = {}): DataEvent | null {
  const described = describe(event, options.catalog ?? EMPTY_CATALOG);
  if (!described) return null;
  return {
    event_name: `${options.eventNamePrefix ?? DEFAULT_EVENT_NAME_PREFIX}${DATA_EVENT_NAME_SUFFIXES[described.kind]}`,
    created_at: event.created,
    metadata: compactMetadata(described.metadata),
  };
}

interface DescribedEvent {
  kind: keyof typeof DATA_EVENT_NAME_SUFFIXES;
  metadata: MetadataEntry[];
}

function describe(event: Stripe.Event, catalog: Catalog): DescribedEvent | null {
  const of = (kind: DescribedEvent['kind'], metadata: MetadataEntry[] | null) => (metadata ? { kind, metadata } : null);
  switch (event.type) {
    case 'invoice.created':
      return of(event.type, invoiceCreatedMetadata(event.data.object));
    case 'invoice.payment_failed':
      return of(event.type, invoicePaymentFailedMetadata(event.data.object));
    case 'customer.subscription.created':
      return of(event.type, subscriptionCreatedMetadata(event.data.object, catalog));
    case 'customer.subscription.deleted':
      return of(event.type, subscriptionDeletedMetadata(event.data.object, catalog));
    case 'customer.subscription.trial_will_end':
      return of(event.type, trialWillEndMetadata(event.data.object, catalog));
    case 'customer.subscription.updated':
      return subscriptionUpdated(event, catalog);
    case 'charge.succeeded':
    case 'charge.captured':
      return of(event.type, chargeTookMoneyMetadata(event.data.object));
    case 'charge.refunded':
      return of(event.type, chargeRefundedMetadata(event.data.object, event.data.previous_attributes));
    case 'charge.failed':
      return of(event.type, chargeFailedMetadata(event.data.object));
    default:
      return null;
  }
}

/**
 * `customer.subscription.updated` is a data event when a cancellation was just scheduled (`cancel_at` set or
 * `cancel_at_period_end` turned on), or when the price or quantity changed (`previous_attributes.items`, Stripe's
 * record of the items before the update). One Stripe event gives at most one Intercom event: the cancellation wins.
 */
function subscriptionUpdated(event: Stripe.CustomerSubscriptionUpdatedEvent, catalog: Catalog): DescribedEvent | null {
  const subscription = event.data.object;
  const previous = (event.data.previous_attributes ?? {}) as Partial<Stripe.Subscription>;
  const cancelAt = scheduledCancellation(subscription);
  const cancellationChanged = 'cancel_at' in previous || 'cancel_at_period_end' in previous;
  const scheduledBefore = scheduledCancellation({ ...subscription, ...previous } as Stripe.Subscription);
  if (cancelAt !== null && cancellationChanged && scheduledBefore === null) {
    return { kind: 'cancellationScheduled', metadata: cancellationScheduledMetadata(subscription, cancelAt, catalog) };
  }
  const before = subscriptionBefore(event);
  const previousItems = before?.items.data;
  if (!before || !previousItems || !itemsPricingChanged(previousItems, subscription.items.data)) return null;
  const now = event.created;
  const planOf = (sub: Stripe.Subscription) => {
    const price = primaryItem(sub, catalog)?.price;
    return price ? planName(price, catalog) : null;
  };
  return {
    kind: 'planChanged',
    metadata: [
      ['subscription_id', subscription.id],
      ['from_plan', planOf(before)],
      ['to_plan', planOf(subscription)],
      ['from_mrr', money(subscriptionMrr(before, { catalog, now }), before.currency)],
      ['to_mrr', money(subscriptionMrr(subscription, { catalog, now }), subscription.currency)],
      ['from_quantity', totalQuantity(previousItems)],
      ['to_quantity', totalQuantity(subscription.items.data)],
      ['interval', intervalOf(subscription, catalog)],
      ['status', subscription.status],
    ],
  };
}

/** An update's subscription as it was before, when its items changed (`previous_attributes.items`). */
function subscriptionBefore(event: Stripe.Event): Stripe.Subscription | null {
  if (event.type !== 'customer.subscription.updated') return null;
  const subscription = event.data.object;
  const previous = (event.data.previous_attributes ?? {}) as Partial<Stripe.Subscription>;
  const previousItems = previous.items?.data;
  if (!previousItems) return null;
  return { ...subscription, ...previous, items: { ...subscription.items, data: previousItems } };
}

/**
 * The subscriptions a data event's metadata is computed from: the event's own, and for a plan change the one before
 * (its products and tiered prices must be in the catalog too).
 */
export function subscriptionsOfEvent(event: Stripe.Event): Stripe.Subscription[] {
  const object = event.data.object as { object?: unknown };
  if (object.object !== 'subscription') return [];
  const before = subscriptionBefore(event);
  return [object as Stripe.Subscription, ...(before ? [before] : [])];
}

function itemsPricingChanged(
  before: ReadonlyArray<Stripe.SubscriptionItem>,
  after: ReadonlyArray<Stripe.SubscriptionItem>,
): boolean {
  const key = (items: ReadonlyArray<Stripe.SubscriptionItem>) =>
    items
      .map((item) => `${item.price.id}×${item.quantity ?? 1}`)
      .sort()
      .join(',');
  return key(before) !== key(after);
}

function totalQuantity(items: ReadonlyArray<Stripe.SubscriptionItem>): number {
  return items.reduce((sum, item) => sum + (item.quantity ?? 0), 0);
}

function intervalOf(subscription: Stripe.Subscription, catalog: Catalog): string | null {
  const recurring = primaryItem(subscription, catalog)?.price.recurring;
  return recurring ? intervalLabel(recurring) : null;
}

function cancellationScheduledMetadata(
  subscription: Stripe.Subscription,
  cancelAt: number,
  catalog: Catalog,
): MetadataEntry[] {
  const price = primaryItem(subscription, catalog)?.price;
  return [
    ['subscription_id', subscription.id],
    ['plan', price ? planName(price, catalog) : null],
    ['cancel_at_date', cancelAt],
    ['at_period_end', subscription.cancel_at_period_end ? 'yes' : 'no'],
    ['cancellation_reason', subscription.cancellation_details?.reason],
    ['cancellation_feedback', subscription.cancellation_details?.feedback],
    ['status', subscription.status],
  ];
}

function trialWillEndMetadata(subscription: Stripe.Subscription, catalog: Catalog): MetadataEntry[] {
  const price = primaryItem(subscription, catalog)?.price;
  const periodAmount = subscriptionAmountPerPeriod(subscription, catalog);
  return [
    ['subscription_id', subscription.id],
    ['plan', price ? planName(price, catalog) : null],
    ['trial_end_date', subscription.trial_end],
    ['price', periodAmount != null ? money(periodAmount, subscription.currency) : null],
    ['interval', intervalOf(subscription, catalog)],
  ];
}

function invoiceCreatedMetadata(invoice: Stripe.Invoice): MetadataEntry[] {
  return [
    ['invoice_id', invoice.id],
    ['invoice_number', invoice.number],
    ['amount_due', money(invoice.amount_due, invoice.currency)],
    ['status', invoice.status],
    ['billing_reason', invoice.billing_reason],
    ['subscription_id', subscriptionIdOf(invoice)],
    ['due_date', invoice.due_date],
    ['invoice_url', invoice.hosted_invoice_url],
  ];
}

function invoicePaymentFailedMetadata(invoice: Stripe.Invoice): MetadataEntry[] {
  return [
    ['invoice_id', invoice.id],
    ['invoice_number', invoice.number],
    ['amount_due', money(invoice.amount_due, invoice.currency)],
    ['attempt_count', invoice.attempt_count],
    ['next_attempt_date', invoice.next_payment_attempt],
    ['subscription_id', subscriptionIdOf(invoice)],
    ['invoice_url', invoice.hosted_invoice_url],
  ];
}

function subscriptionCreatedMetadata(subscription: Stripe.Subscription, catalog: Catalog): MetadataEntry[] {
  const item = primaryItem(subscription, catalog);
  const price = item?.price;
  const periodAmount = subscriptionAmountPerPeriod(subscription, catalog);
  return [
    ['subscription_id', subscription.id],
    ['plan', price ? planName(price, catalog) : null],
    ['price', periodAmount != null ? money(periodAmount, subscription.currency) : null],
    ['interval', price?.recurring ? intervalLabel(price.recurring) : null],
    ['quantity', item?.quantity],
    ['status', subscription.status],
    ['trial_end_date', subscription.trial_end],
  ];
}

function subscriptionDeletedMetadata(subscription: Stripe.Subscription, catalog: Catalog): MetadataEntry[] {
  const price = primaryItem(subscription, catalog)?.price;
  return [
    ['subscription_id', subscription.id],
    ['plan', price ? planName(price, catalog) : null],
    ['canceled_date', subscription.canceled_at ?? subscription.ended_at],
    ['ended_date', subscription.ended_at],
    ['cancellation_reason', subscription.cancellation_details?.reason],
    ['cancellation_feedback', subscription.cancellation_details?.feedback],
    ['status', subscription.status],
  ];
}

/**
 * `stripe-charged` says money was taken, so it comes from the event that takes it: `charge.succeeded` of a charge
 * captured at once, or `charge.captured` ("a previously uncaptured charge is captured",
 * https://docs.stripe.com/api/events/types#event_types-charge.captured) for an authorization captured later. The
 * `charge.succeeded` of an uncaptured authorization (`captured: false`) gives no event: nothing was taken yet. The
 * amount is what was captured, less than the authorization after a partial capture.
 */
function chargeTookMoneyMetadata(charge: Stripe.Charge): MetadataEntry[] | null {
  if (!charge.captured) return null;
  return [
    ['charge_id', charge.id],
    ['amount', money(chargeMoney(charge).taken, charge.currency)],
    ['description', charge.description],
    ['card_brand', charge.payment_method_details?.card?.brand],
    ['receipt_url', charge.receipt_url],
  ];
}

/**
 * `charge.refunded` fires for every refund, partial ones included; the charge's `amount_refunded` is the running
 * total and `previous_attributes.amount_refunded` what it was before this refund
 * (https://docs.stripe.com/api/events/types#event_types-charge.refunded,
 * https://docs.stripe.com/api/events/object#event_object-data-previous_attributes), so their difference is this
 * refund's amount. The part of an authorization a partial capture released counts in `amount_refunded` but was never
 * taken (`chargeMoney`), so amounts are compared as what the charge gave back, before and after: a `charge.refunded`
 * that gave nothing back (an authorization never captured, or the release itself) is no refund event.
 */
function chargeRefundedMetadata(charge: Stripe.Charge, previousAttributes: unknown): MetadataEntry[] | null {
  const previous = (previousAttributes ?? {}) as Partial<Stripe.Charge>;
  const { taken, returned } = chargeMoney(charge);
  const before = chargeMoney({ ...charge, ...previous, amount_refunded: previous.amount_refunded ?? 0 });
  const refund = returned - before.returned;
  if (refund <= 0) return null;
  return [
    ['charge_id', charge.id],
    ['refund_amount', money(refund, charge.currency)],
    ['amount_refunded', money(returned, charge.currency)],
    ['amount', money(taken, charge.currency)],
    ['fully_refunded', charge.refunded ? 'yes' : 'no'],
    ['description', charge.description],
  ];
}

function chargeFailedMetadata(charge: Stripe.Charge): MetadataEntry[] {
  return [
    ['charge_id', charge.id],
    ['amount', money(charge.amount, charge.currency)],
    ['failure_code', charge.failure_code],
    ['failure_message', charge.failure_message],
    ['description', charge.description],
  ];
}

/**
 * Stripe's minor units to Intercom's "cents" (hundredths of the major unit): ×100 for zero-decimal currencies (¥500 is
 * 50000), ÷10 for three-decimal ones, rounded. Intercom takes only a positive integer, so anything else is left out.
 */
export function money(minorUnits: number, currency: string): MonetaryAmount | null {
  const cents = Math.round(minorUnits * 10 ** (2 - currencyDecimals(currency)));
  return cents > 0 && Number.isSafeInteger(cents) ? { amount: cents, currency: currency.toLowerCase() } : null;
}

function planName(price: Stripe.Price, catalog: Catalog): string | null {
  return price.nickname ?? productNameOf(price, catalog);
}

function subscriptionIdOf(invoice: Stripe.Invoice): string | null {
  const subscription = invoice.parent?.subscription_details?.subscription;
  if (subscription == null) return null;
  return typeof subscription === 'string' ? subscription : subscription.id;
}

/** Drops absent and empty values (Intercom has no null metadata), truncates strings, keeps the first 10 keys. */
function compactMetadata(entries: ReadonlyArray<MetadataEntry>): Record<string, EventMetadataValue> {
  const metadata: Record<string, EventMetadataValue> = {};
  for (const [key, value] of entries) {
    if (value == null || value === '') continue;
    if (Object.keys(metadata).length === MAX_EVENT_METADATA_KEYS) break;
    metadata[key] = typeof value === 'string' ? truncateForIntercom(value) : value;
  }
  return metadata;
}
