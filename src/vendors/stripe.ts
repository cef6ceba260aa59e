import Stripe from 'stripe';
import type { Config } from '../config';
import { retryAfterMs, stripeEndpoint, type StripeAccountPacer } from './stripe-pacer';
import { throwIfActivityCancelled } from './activity-cancellation';

export const STRIPE_API_VERSION = '2026-10-28.endive';

/**
 * A Stripe client for one install. SDK retries are off: Temporal owns retries so each one shows in the UI.
 * STRIPE_API_BASE points the SDK at another host (the emulator in tests and the demo). With a `pacer`, every request
 * of this client goes through it (the account's shared budget; see stripe-pacer.ts).
 */
export function createStripeClient(
  apiKey: string,
  config: Pick<Config, 'STRIPE_API_BASE'>,
  pacer?: StripeAccountPacer,
): Stripe {
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined;
  return new Stripe(apiKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 0,
    timeout: 30_000,
    appInfo: { name: 'stripe-intercom-sync' },
    ...(pacer && { httpClient: pacedHttpClient(Stripe.createNodeHttpClient(), pacer) }),
    ...(base && {
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
    }),
  });
}

/** The SDK's own HTTP client with each request paced, and re-sent after a 429 as the pacer decides. */
function pacedHttpClient(inner: Stripe.HttpClient, pacer: StripeAccountPacer): Stripe.HttpClient {
  const paced = Object.create(inner) as Stripe.HttpClient;
  paced.makeRequest = (host, port, path, method, headers, requestData, protocol, timeout) =>
    pacer.run(
      stripeEndpoint(method, path),
      () => {
        // A cancelled activity's requests still waiting for the budget are not sent (nobody would read the answer).
        throwIfActivityCancelled();
        return inner.makeRequest(host, port, path, method, headers, requestData, protocol, timeout);
      },
      (response) => {
        if (response.getStatusCode() !== 429) return null;
        const responseHeaders = response.getHeaders();
        const reason = responseHeaders['stripe-rate-limited-reason'];
        return {
          reason: (Array.isArray(reason) ? reason[0] : reason) ?? null,
          retryAfterMs: retryAfterMs(responseHeaders['retry-after']),
        };
      },
      (response) => {
        if (response.dispose) response.dispose();
        else void Promise.resolve(response.toJSON()).catch(() => undefined);
      },
    );
  return paced;
}

/**
 * Expansions for a customer's own attributes. Its subscriptions are listed apart (`SUBSCRIPTION_LIST_EXPANSIONS`):
 * an expanded `customer.subscriptions` holds at most 10, never the canceled ones, and cannot reach item discounts.
 */
export const CUSTOMER_EXPANSIONS = ['invoice_settings.default_payment_method', 'default_source'];
export const CUSTOMER_LIST_EXPANSIONS = CUSTOMER_EXPANSIONS.map((path) => `data.${path}`);

/**
 * `GET /v1/subscriptions?status=all` expansions (Stripe allows 4 levels): subscription and item discounts, the
 * subscription discounts' coupons (so a coupon deleted since keeps its terms where Stripe still renders it), and the
 * subscription's own payment method (Stripe Checkout puts the card there).
 */
export const SUBSCRIPTION_LIST_EXPANSIONS = [
  'data.discounts.source.coupon',
  'data.items.data.discounts',
  'data.default_payment_method',
  'data.default_source',
];
