import type { Config } from '../../src/config';
import { freePort } from '../../src/dev/ports';
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
export async function startEmulators(options: {
  rateLimitPerMinute: number;
  shutdown: Shutdown;
  /** Added to every answer (the benchmark's realistic latency); 0 by default. */
  intercomLatencyMs?: number;
  stripeLatencyMs?: number;
}): Promise<Emulators> {
  const [stripe, intercom] = await Promise.all([
    // The service receives webhooks on 127.0.0.1, which real Stripe refuses.
    startStripeEmulator({ port: 0, allowLocalWebhookUrls: true, latencyMs: options.stripeLatencyMs ?? 0 }),
    startIntercomEmulator({
      port: 0,
      rateLimitPerMinute: options.rateLimitPerMinute,
      latencyMs: options.intercomLatencyMs ?? 0,
    }),
  ]);
  const counter = countResponses([stripe.port, intercom.port]);
  options.shutdown.add('emulators', async () => {
    counter.stop();
    await Promise.all([stripe.close(), intercom.close()]);
  });
  return {
    stripe,
    intercom,
    statuses: () => ({ stripe: counter.statuses(stripe.port), intercom: counter.statuses(intercom.port) }),
  };
}

/**
 * Counts the HTTP responses that servers of this process listening on `ports` send, by status, until stop(). Node
 * publishes every HTTP response it finishes on a diagnostics channel; the servers are told apart by port.
 */
export function countResponses(ports: number[]): {
  statuses(port: number): Record<number, number>;
  stop(): void;
} {
  const byPort = new Map(ports.map((port) => [port, new Map<number, number>()]));
  const onResponse = (message: unknown) => {
    const { response, server } = message as { response: ServerResponse; server: Server };
    const counts = byPort.get((server.address() as AddressInfo | null)?.port ?? -1);
    counts?.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
  };
  subscribe('http.server.response.finish', onResponse);
  return {
    statuses: (port) => Object.fromEntries(byPort.get(port) ?? []),
    stop: () => unsubscribe('http.server.response.finish', onResponse),
  };
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

/** The total of a list of numbers, or of a record's values (counts by endpoint, by status). */
export function sum(counts: Record<string, number> | readonly number[]): number {
  return Object.values(counts).reduce((total, count) => total + count, 0);
}
