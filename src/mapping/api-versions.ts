import type Stripe from 'stripe';

/**
 * Stripe renders an event's `data` at the API version the event was created with, and the Events API lists every
 * event that way, "not according to your current Stripe API version or Stripe-Version header"
 * (https://docs.stripe.com/api/events/list, `api_version` on https://docs.stripe.com/api/events/object). Our webhook
 * endpoint is pinned to our version, but catch-up reads events created at the account's default version, which may
 * be older. The mapping reads the pinned shapes, so older ones are brought to them first.
 *
 * Shapes handled, those of the fields the mapping reads:
 * - before 2025-03-31.basil an invoice named its subscription in `subscription`; since then in
 *   `parent.subscription_details.subscription`
 *   (https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects);
 * - before 2025-03-31.basil billing periods were `current_period_start`/`_end` on the subscription; since then on each
 *   item (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end);
 * - older subscriptions had a single `discount` and no `discounts` list
 *   (https://docs.stripe.com/api/subscriptions/object#subscription_object-discounts).
 */
const PARENT_AND_ITEM_PERIODS_SINCE = '2025-03-31';

/** The event with its object in the shapes of our pinned API version (the same event when it already is). */
export function eventAtPinnedVersion(event: Stripe.Event): Stripe.Event {
  // A version is `YYYY-MM-DD` with an optional `.name`; events before October 2014 have none.
  const created = (event.api_version ?? '').slice(0, 10);
  if (created >= PARENT_AND_ITEM_PERIODS_SINCE) return event;
  const object = event.data.object as { object?: unknown };
  const upgraded =
    object.object === 'invoice'
      ? invoiceAtPinnedVersion(object as LegacyInvoice)
      : object.object === 'subscription'
        ? subscriptionAtPinnedVersion(object as LegacySubscription)
        : null;
  if (!upgraded) return event;
  // Stripe.Event is a union of ~270 event types; the object keeps its own type, so the event keeps its own.
  const data: Stripe.Event.Data = { ...event.data, object: upgraded as Stripe.Event.Data.Object };
  return Object.assign({}, event, { data });
}

type LegacyInvoice = Stripe.Invoice & {
  subscription?: string | Stripe.Subscription | null;
  subscription_details?: { metadata: Stripe.Metadata | null } | null;
};

function invoiceAtPinnedVersion(invoice: LegacyInvoice): Stripe.Invoice {
  if (invoice.parent != null || invoice.subscription == null) return { ...invoice, parent: invoice.parent ?? null };
  return {
    ...invoice,
    parent: {
      type: 'subscription_details',
      quote_details: null,
      subscription_details: {
        subscription: invoice.subscription,
        metadata: invoice.subscription_details?.metadata ?? null,
      },
    },
  };
}

type LegacySubscription = Omit<Stripe.Subscription, 'discounts'> & {
  current_period_start?: number;
  current_period_end?: number;
  discount?: Stripe.Discount | null;
  discounts?: Stripe.Subscription['discounts'];
};

function subscriptionAtPinnedVersion(subscription: LegacySubscription): Stripe.Subscription {
  const { current_period_start: start, current_period_end: end } = subscription;
  const items = subscription.items.data.map((item) => ({
    ...item,
    current_period_start: item.current_period_start ?? start,
    current_period_end: item.current_period_end ?? end,
  }));
  return {
    ...subscription,
    discounts: subscription.discounts ?? (subscription.discount ? [subscription.discount] : []),
    items: { ...subscription.items, data: items },
  } as Stripe.Subscription;
}
