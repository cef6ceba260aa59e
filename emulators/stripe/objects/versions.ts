import type Stripe from 'stripe';

/**
 * Renders an event at an API version, as Stripe does: an event's `data` is rendered at the version of its creation,
 * which is what the Events API lists ("Each event data is rendered according to Stripe API version at its creation
 * time, specified in event object api_version attribute (not according to your current Stripe API version or
 * Stripe-Version header)", https://docs.stripe.com/api/events/list), while a webhook endpoint with its own
 * `api_version` receives events rendered at that version
 * (https://docs.stripe.com/api/webhook_endpoints/create#create_webhook_endpoint-api_version).
 *
 * The emulator keeps objects in the shapes of its own version and knows the older shapes of the fields that changed
 * in 2025-03-31.basil:
 * - invoices named their subscription in `subscription` (and `subscription_details`), now `parent.subscription_details`
 *   (https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects);
 * - subscriptions carried `current_period_start`/`_end`, now on each item
 *   (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
 */
const BASIL = '2025-03-31';

export function renderEventAt(event: Stripe.Event, version: string): Stripe.Event {
  const rendered = { ...event, api_version: version } as Stripe.Event;
  if (version.slice(0, 10) >= BASIL) return rendered;
  const object = event.data.object as { object?: unknown };
  const legacy =
    object.object === 'invoice'
      ? legacyInvoice(object as Stripe.Invoice)
      : object.object === 'subscription'
        ? legacySubscription(object as Stripe.Subscription)
        : null;
  return legacy ? ({ ...rendered, data: { ...event.data, object: legacy } } as Stripe.Event) : rendered;
}

function legacyInvoice(invoice: Stripe.Invoice): object {
  const { parent, ...rest } = invoice;
  const details = parent?.subscription_details ?? null;
  return {
    ...rest,
    subscription: details?.subscription ?? null,
    subscription_details: details ? { metadata: details.metadata } : null,
  };
}

function legacySubscription(subscription: Stripe.Subscription): object {
  const first = subscription.items.data[0];
  const items = subscription.items.data.map((item) => {
    const { current_period_start: _start, current_period_end: _end, ...rest } = item;
    return rest;
  });
  return {
    ...subscription,
    current_period_start: first?.current_period_start ?? null,
    current_period_end: first?.current_period_end ?? null,
    items: { ...subscription.items, data: items },
  };
}
