import type Stripe from 'stripe';
import { EMPTY_CATALOG, productNameOf, type Catalog } from './catalog';
import { DATA_EVENT_NAME_SUFFIXES } from './event-types';
import { intervalLabel } from './interval';
import { itemAmountPerPeriod } from './price';
import { truncateForIntercom } from './strings';
import { primaryItem } from './subscription';

/** Intercom's "monetary amount" metadata: an integer amount in the currency's minor unit, lowercase ISO code. */
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
  /** Prepended to the §5 event names (`stripe-` gives `stripe-invoice-created`). */
  eventNamePrefix?: string;
  /** For plan names and tiered prices in subscription events. */
  catalog?: Catalog;
}

export const DEFAULT_EVENT_NAME_PREFIX = 'stripe-';

/** Intercom keeps the first 10 metadata keys of an event and ignores the rest. */
export const MAX_EVENT_METADATA_KEYS = 10;

type MetadataEntry = readonly [key: string, value: EventMetadataValue | null | undefined];

/** The Intercom data event for a Stripe event (design §5), or null for a type that is not one. */
export function dataEventFor(event: Stripe.Event, options: DataEventOptions = {}): DataEvent | null {
  const metadata = metadataFor(event, options.catalog ?? EMPTY_CATALOG);
  if (!metadata) return null;
  const suffix = DATA_EVENT_NAME_SUFFIXES[event.type as keyof typeof DATA_EVENT_NAME_SUFFIXES];
  return {
    event_name: `${options.eventNamePrefix ?? DEFAULT_EVENT_NAME_PREFIX}${suffix}`,
    created_at: event.created,
    metadata: compactMetadata(metadata),
  };
}

function metadataFor(event: Stripe.Event, catalog: Catalog): MetadataEntry[] | null {
  switch (event.type) {
    case 'invoice.created':
      return invoiceCreatedMetadata(event.data.object);
    case 'invoice.payment_failed':
      return invoicePaymentFailedMetadata(event.data.object);
    case 'customer.subscription.created':
      return subscriptionCreatedMetadata(event.data.object, catalog);
    case 'customer.subscription.deleted':
      return subscriptionDeletedMetadata(event.data.object, catalog);
    case 'charge.succeeded':
      return chargeSucceededMetadata(event.data.object);
    case 'charge.refunded':
      return chargeRefundedMetadata(event.data.object);
    case 'charge.failed':
      return chargeFailedMetadata(event.data.object);
    default:
      return null;
  }
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
  const periodAmount = item ? itemAmountPerPeriod(item, catalog) : null;
  return [
    ['subscription_id', subscription.id],
    ['plan', price ? planName(price, catalog) : null],
    ['price', price && periodAmount != null ? money(periodAmount, price.currency) : null],
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

function chargeSucceededMetadata(charge: Stripe.Charge): MetadataEntry[] {
  return [
    ['charge_id', charge.id],
    ['amount', money(charge.amount, charge.currency)],
    ['description', charge.description],
    ['card_brand', charge.payment_method_details?.card?.brand],
    ['receipt_url', charge.receipt_url],
  ];
}

function chargeRefundedMetadata(charge: Stripe.Charge): MetadataEntry[] {
  return [
    ['charge_id', charge.id],
    ['amount_refunded', money(charge.amount_refunded, charge.currency)],
    ['amount', money(charge.amount, charge.currency)],
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

function money(minorUnits: number, currency: string): MonetaryAmount {
  return { amount: Math.round(minorUnits), currency: currency.toLowerCase() };
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
