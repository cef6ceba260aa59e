import type Stripe from 'stripe';
import { referencedId } from './references';

type EventType = Stripe.Event.Type;

/**
 * Intercom data event names (docs/data.md), without the configurable name prefix (`stripe-`). Stripe's
 * `customer.subscription.updated` gives `subscription-plan-changed` or `subscription-cancellation-scheduled` depending
 * on what changed, and nothing otherwise.
 */
export const DATA_EVENT_NAME_SUFFIXES = {
  'invoice.created': 'invoice-created',
  'customer.subscription.created': 'subscription-created',
  'charge.succeeded': 'charged',
  // An authorization captured after its `charge.succeeded`: the money is taken now (events.ts).
  'charge.captured': 'charged',
  'charge.refunded': 'charge-refunded',
  'customer.subscription.deleted': 'subscription-deleted',
  'charge.failed': 'charge-failed',
  'invoice.payment_failed': 'invoice-payment-failed',
  'customer.subscription.trial_will_end': 'trial-will-end',
  planChanged: 'subscription-plan-changed',
  cancellationScheduled: 'subscription-cancellation-scheduled',
} as const;

/** Events that may become an Intercom data event on the customer's timeline (`dataEventFor` decides). */
export const DATA_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  ...(Object.keys(DATA_EVENT_NAME_SUFFIXES).filter((key) => key.includes('.')) as EventType[]),
  'customer.subscription.updated',
]);

/** Events after which a customer's attributes may differ: the customer is re-read and re-mapped. */
export const EVENT_TYPES_AFFECTING_ATTRIBUTES: ReadonlySet<EventType> = new Set<EventType>([
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'customer.discount.created',
  'customer.discount.updated',
  'customer.discount.deleted',
  'customer.source.created',
  'customer.source.updated',
  'customer.source.deleted',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'customer.subscription.pending_update_applied',
  'payment_method.attached',
  'payment_method.detached',
  'payment_method.updated',
  'payment_method.automatically_updated',
  'charge.succeeded',
  'charge.captured',
  'charge.failed',
  'charge.pending',
  // Total spent is net of refunds.
  'charge.refunded',
  'invoice.paid',
  'invoice.payment_failed',
]);

/**
 * Catalog changes (plan names, price tiers, coupons): they concern no single customer; the mirror's catalog is
 * updated and customers are re-mapped as they next change.
 */
export const CATALOG_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>([
  'product.created',
  'product.updated',
  'product.deleted',
  'price.created',
  'price.updated',
  'price.deleted',
  'coupon.created',
  'coupon.updated',
  'coupon.deleted',
]);

/** Uninstalling from Stripe's side stops all syncing for the account: the app no longer has its consent to read. */
export const INSTALL_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['account.application.deauthorized']);

/** Every event type the webhook endpoint subscribes to, sorted. */
export const SUBSCRIBED_EVENT_TYPES: ReadonlyArray<EventType> = [
  ...new Set([
    ...DATA_EVENT_TYPES,
    ...EVENT_TYPES_AFFECTING_ATTRIBUTES,
    ...CATALOG_EVENT_TYPES,
    ...INSTALL_EVENT_TYPES,
  ]),
].sort();

/**
 * The customer an event concerns: the customer itself for `customer.*` events about the customer object, otherwise
 * the object's `customer` (id or expanded). A detached payment method no longer names its customer, so
 * `previous_attributes.customer` is read too. Null when the event concerns no customer.
 */
export function customerIdOfEvent(event: Stripe.Event): string | null {
  const object = event.data.object as { id?: unknown; object?: unknown; customer?: unknown };
  if (object.object === 'customer') return typeof object.id === 'string' ? object.id : null;
  const previous = event.data.previous_attributes as { customer?: unknown } | undefined;
  return referencedId(object.customer) ?? referencedId(previous?.customer);
}
