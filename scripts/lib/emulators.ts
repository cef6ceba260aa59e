import type { Config } from '../../src/config';
import { freePort } from '../../src/infra/ports';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ServerResponse } from 'node:http';
import type { AddressInfo, Server } from 'node:net';
import { startIntercomEmulator, type IntercomEmulator } from '../../emulators/intercom';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';
import type { Shutdown } from '../../src/infra/lifecycle';

export interface Emulators {
  stripe: StripeEmulator;
  intercom: IntercomEmulator;
  /** Responses each emulator sent, by HTTP status (`{ 200: 9800, 429: 12 }`): the emulators count requests only. */
  statuses(): { stripe: Record<number, number>; intercom: Record<number, number> };
}

/**
 * Both emulators in this process on free ports, closed at shutdown. Stripe keeps its real rate limit (live 100/s);
 * Intercom gets `rateLimitPerMinute` (Intercom's is 10,000 per app, enforced in 10-second windows).
 */
export async function startEmulators(options: { rateLimitPerMinute: number; shutdown: Shutdown }): Promise<Emulators> {
  const [stripe, intercom] = await Promise.all([
    startStripeEmulator({ port: 0 }),
    startIntercomEmulator({ port: 0, rateLimitPerMinute: options.rateLimitPerMinute }),
  ]);
  const byPort = new Map<number, Map<number, number>>([
    [stripe.port, new Map()],
    [intercom.port, new Map()],
  ]);
  // Node publishes every HTTP response it finishes here; the emulators' own servers are told apart by port.
  const onResponse = (message: unknown) => {
    const { response, server } = message as { response: ServerResponse; server: Server };
    const counts = byPort.get((server.address() as AddressInfo | null)?.port ?? -1);
    counts?.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
  };
  subscribe('http.server.response.finish', onResponse);
  options.shutdown.add('emulators', async () => {
    unsubscribe('http.server.response.finish', onResponse);
    await Promise.all([stripe.close(), intercom.close()]);
  });
  const snapshot = (port: number) => Object.fromEntries(byPort.get(port) ?? []);
  return { stripe, intercom, statuses: () => ({ stripe: snapshot(stripe.port), intercom: snapshot(intercom.port) }) };
}

/**
 * The service's configuration pointed at the emulators, listening on a free port that is also its public URL (where
 * the Stripe emulator delivers the install's webhooks).
 */
export async function configForEmulators(base: Config, emulators: Emulators): Promise<Config> {
  const port = await freePort();
  // The emulated app store's "Install now" lands on the service's install URL.
  emulators.intercom.oauthApp.installUrl = `http://127.0.0.1:${port}/install`;
  return {
    ...base,
    PORT: port,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    STRIPE_API_BASE: emulators.stripe.url,
    INTERCOM_API_BASE: emulators.intercom.url,
    // The browser install flow signs in through the emulators' OAuth apps.
    INTERCOM_CLIENT_ID: emulators.intercom.oauthApp.clientId,
    INTERCOM_CLIENT_SECRET: emulators.intercom.oauthApp.clientSecret,
    INTERCOM_OAUTH_URL: emulators.intercom.oauthUrl,
    STRIPE_APP_CLIENT_ID: emulators.stripe.oauth.clientId,
    STRIPE_APP_SECRET_KEY: emulators.stripe.oauth.secretKey,
    STRIPE_OAUTH_AUTHORIZE_URL: emulators.stripe.oauth.authorizeUrl,
  };
}

export function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}
