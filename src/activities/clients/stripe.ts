import Stripe from 'stripe';
import type { Config } from '../../config';

export const STRIPE_API_VERSION = '2026-10-28.endive';

/**
 * A Stripe client for one install. SDK retries are off: Temporal owns retries so each one shows in the UI.
 * STRIPE_API_BASE points the SDK at another host (the emulator in tests and the demo).
 */
export function createStripeClient(apiKey: string, config: Pick<Config, 'STRIPE_API_BASE'>): Stripe {
  const base = config.STRIPE_API_BASE ? new URL(config.STRIPE_API_BASE) : undefined;
  return new Stripe(apiKey, {
    apiVersion: STRIPE_API_VERSION,
    maxNetworkRetries: 0,
    timeout: 30_000,
    appInfo: { name: 'stripe-intercom-sync' },
    ...(base && {
      host: base.hostname,
      port: Number(base.port || (base.protocol === 'https:' ? 443 : 80)),
      protocol: base.protocol === 'https:' ? 'https' : 'http',
    }),
  });
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
