import Stripe from 'stripe';
import { SUBSCRIBED_EVENT_TYPES } from '../mapping';
import { STRIPE_API_VERSION } from '../vendors/stripe';

export interface RegisteredEndpoint {
  endpointId: string;
  /** `whsec_…`: Stripe returns it only in the create response, so the caller must store it (sealed) now. */
  secret: string;
}

/** The URL Stripe delivers an install's events to; the route `POST /webhooks/stripe/:installId` answers it. */
export function webhookUrl(publicUrl: string, installId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/webhooks/stripe/${encodeURIComponent(installId)}`;
}

/**
 * Creates the install's webhook endpoint on its Stripe account, subscribed to every event type we handle and pinned
 * to our API version (so payloads have the shape the mapping expects whatever the account's default version is).
 *
 * An endpoint already pointing at the same URL is deleted: it can only be left over from an attempt whose response
 * (and so whose secret) was lost, and a second endpoint would deliver every event twice. The account's endpoints are
 * listed while the new one is created, not before: a leftover predates both calls, so the list has it, and the
 * install waits one Stripe round trip (400 ms) instead of two before its workflows start.
 */
export async function registerWebhookEndpoint(
  stripe: Stripe,
  publicUrl: string,
  installId: string,
): Promise<RegisteredEndpoint> {
  const url = webhookUrl(publicUrl, installId);
  const [listed, created] = await Promise.allSettled([
    endpointsWithUrl(stripe, url),
    stripe.webhookEndpoints.create({
      url,
      enabled_events: [...SUBSCRIBED_EVENT_TYPES] as Stripe.WebhookEndpointCreateParams.EnabledEvent[],
      api_version: STRIPE_API_VERSION,
      description: `stripe-intercom-sync install ${installId}`,
      metadata: { install_id: installId },
    }),
  ]);
  if (created.status === 'rejected') {
    const err: unknown = created.reason;
    if (err instanceof Stripe.errors.StripeInvalidRequestError && err.param === 'url') {
      throw new WebhookUrlRejected(url, err.message);
    }
    throw err;
  }
  const endpoint = created.value;
  // Without the list a leftover could not be told apart: the new endpoint goes too, and the caller fails the install.
  if (listed.status === 'rejected') {
    await deleteWebhookEndpoint(stripe, endpoint.id).catch(() => undefined);
    throw listed.reason;
  }
  for (const stale of listed.value) if (stale.id !== endpoint.id) await deleteWebhookEndpoint(stripe, stale.id);
  if (!endpoint.secret) throw new Error(`Stripe created webhook endpoint ${endpoint.id} without a signing secret`);
  return { endpointId: endpoint.id, secret: endpoint.secret };
}

/**
 * Stripe refused the webhook URL built from PUBLIC_URL: it delivers only to publicly reachable HTTPS addresses
 * (https://docs.stripe.com/webhooks), so a local or plain-HTTP PUBLIC_URL cannot work for a live install.
 */
export class WebhookUrlRejected extends Error {
  override name = 'WebhookUrlRejected';
  constructor(url: string, stripeMessage: string) {
    super(
      `Stripe refused the webhook URL ${url} (${stripeMessage}). Set PUBLIC_URL to the public HTTPS address this ` +
        `service is reachable at (for a local trial, an HTTPS tunnel to it), restart, and install again.`,
    );
  }
}

/**
 * Subscribes an install's existing endpoint to the event types we handle that it lacks: Stripe keeps an endpoint's
 * `enabled_events` as they were set (https://docs.stripe.com/api/webhook_endpoints/update), so an endpoint created
 * before a type was added (`charge.captured`) never receives it otherwise. One read, and one update when types are
 * missing. Returns the types added.
 */
export async function subscribeToMissingEventTypes(stripe: Stripe, endpointId: string): Promise<string[]> {
  const endpoint = await stripe.webhookEndpoints.retrieve(endpointId);
  if (endpoint.enabled_events.includes('*')) return [];
  const missing = SUBSCRIBED_EVENT_TYPES.filter((type) => !endpoint.enabled_events.includes(type));
  if (missing.length === 0) return [];
  await stripe.webhookEndpoints.update(endpointId, {
    enabled_events: [...endpoint.enabled_events, ...missing] as Stripe.WebhookEndpointUpdateParams.EnabledEvent[],
  });
  return missing;
}

/** Deletes an endpoint; one that no longer exists (deleted in the Dashboard, or by an earlier attempt) is fine. */
export async function deleteWebhookEndpoint(stripe: Stripe, endpointId: string): Promise<void> {
  try {
    await stripe.webhookEndpoints.del(endpointId);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeError && (err.statusCode === 404 || err.code === 'resource_missing')) return;
    throw err;
  }
}

async function endpointsWithUrl(stripe: Stripe, url: string): Promise<Stripe.WebhookEndpoint[]> {
  const found: Stripe.WebhookEndpoint[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await stripe.webhookEndpoints.list({
      limit: 100,
      ...(startingAfter && { starting_after: startingAfter }),
    });
    found.push(...page.data.filter((endpoint) => endpoint.url === url));
    const last = page.data.at(-1);
    if (!page.has_more || !last) return found;
    startingAfter = last.id;
  }
}
