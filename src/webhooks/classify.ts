import type Stripe from 'stripe';
import {
  CATALOG_EVENT_TYPES,
  EVENT_TYPES_AFFECTING_ATTRIBUTES,
  INSTALL_EVENT_TYPES,
  SUBSCRIBED_EVENT_TYPES,
  customerIdOfEvent,
} from '../mapping';
import type { Install } from '../db/installs';
import type { StripeEventRef } from '../shared/messages';
import type { CatalogKind } from '../db/mirror';

/** Why a verified delivery was acknowledged without work; the keys of ignored_webhooks counts. */
export type IgnoreReason =
  'livemode_mismatch' | 'unhandled_type' | 'install_disabled' | 'no_customer' | 'deauthorized_before_install';

export interface CatalogObject {
  id: string;
  kind: CatalogKind;
  data: Stripe.Product | Stripe.Price;
}

export type Classification =
  | { kind: 'ignored'; reason: IgnoreReason }
  /** `account.application.deauthorized`: the account uninstalled us from Stripe's side. */
  | { kind: 'deauthorize' }
  /** A product, price or coupon changed: no customer to sync; products and prices refresh the mirror's catalog. */
  | { kind: 'catalog'; object: CatalogObject | null }
  | { kind: 'customer'; ref: StripeEventRef };

const SUBSCRIBED: ReadonlySet<string> = new Set(SUBSCRIBED_EVENT_TYPES);
const isType = (set: ReadonlySet<Stripe.Event.Type>, type: string): boolean => set.has(type as Stripe.Event.Type);

/**
 * What an event means for an install. Pure: the webhook route and the catch-up both decide through this one table.
 *
 * Order matters. Livemode first: a live Connect endpoint also receives the account's test events, and a test event
 * must never touch a live install (not even disable it). Deauthorization before the disabled check, so a repeated
 * delivery re-applies the disable (a first attempt may have failed half-way and been answered 503).
 */
export function classifyEvent(
  install: Pick<Install, 'livemode' | 'status' | 'createdAt'>,
  event: Stripe.Event,
): Classification {
  if (event.livemode !== install.livemode) return { kind: 'ignored', reason: 'livemode_mismatch' };
  if (isType(INSTALL_EVENT_TYPES, event.type)) {
    // An uninstall from before this install ended an earlier connection (the Events API lists it for 30 days, and a
    // catch-up after a re-install would find it): it says nothing about this one. Stripe dates events to the second
    // (https://docs.stripe.com/api/events/object#event_object-created), so one from the second the install was made
    // is taken as earlier too: disabling a new install wipes its credentials, while a real uninstall that close after
    // installing still shows, as the install failing on Stripe's refusal of its key.
    if (event.created <= Math.floor(install.createdAt.getTime() / 1000)) {
      return { kind: 'ignored', reason: 'deauthorized_before_install' };
    }
    return { kind: 'deauthorize' };
  }
  if (install.status === 'disabled') return { kind: 'ignored', reason: 'install_disabled' };
  if (!SUBSCRIBED.has(event.type)) return { kind: 'ignored', reason: 'unhandled_type' };
  if (isType(CATALOG_EVENT_TYPES, event.type)) return { kind: 'catalog', object: catalogObjectOf(event) };
  const customerId = customerIdOfEvent(event);
  if (customerId === null) return { kind: 'ignored', reason: 'no_customer' };
  return {
    kind: 'customer',
    ref: { eventId: event.id, customerId, refresh: isType(EVENT_TYPES_AFFECTING_ATTRIBUTES, event.type) },
  };
}

function catalogObjectOf(event: Stripe.Event): CatalogObject | null {
  const object = event.data.object as { id?: unknown; object?: unknown };
  if (typeof object.id !== 'string') return null;
  if (object.object === 'product') return { id: object.id, kind: 'product', data: object as Stripe.Product };
  if (object.object === 'price') {
    const price = object as Stripe.Price;
    // Event payloads never expand `tiers`; storing one would erase the tiers the mirror holds and break MRR.
    if (price.billing_scheme === 'tiered' && !Array.isArray(price.tiers)) return null;
    return { id: price.id, kind: 'price', data: price };
  }
  // Coupons have no place in the mirror's catalog: customers carry their discounts, re-read when they next change.
  return null;
}
