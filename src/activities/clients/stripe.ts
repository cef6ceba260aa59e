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

/** Expansions that give a customer's attributes from one list or retrieve call (Stripe allows 4 levels). */
export const CUSTOMER_EXPANSIONS = [
  'subscriptions',
  'subscriptions.data.discounts',
  'invoice_settings.default_payment_method',
  'default_source',
];
export const CUSTOMER_LIST_EXPANSIONS = CUSTOMER_EXPANSIONS.map((path) => `data.${path}`);
