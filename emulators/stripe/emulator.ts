import { type StripeAdmin, createAdmin } from './admin/admin';
import { createAdminRouter } from './admin/http';
import { type LoggedRequest, RequestLog, createApiRouter } from './api/router';
import { Clock } from './clock';
import { DataSet } from './dataset';
import { EventLog } from './event-log';
import { type Faults, RateLimiter, stripeEndpointRateLimit } from './faults';
import { Ids } from './ids';
import { KeyRing } from './keys';
import { buildAccount } from './objects/account';
import {
  type FaultSettings,
  type StripeEmulatorOptions,
  applyFaults,
  defaultPort,
  defaultWebhookOptions,
  rateLimits,
} from './options';
import { createStripeOAuthRouter, StripeOAuth, type StripeOAuthApp } from './oauth';
import { Random } from './random';
import { type SeedOptions, type SeededCustomer, seedCustomers } from './seed';
import { closeServer, listen } from './server';
import { type Mode } from './types';
import { WebhookDeliverer } from './webhooks/deliverer';

export interface StripeEmulator {
  /** `http://host:port`; point the SDK at it with `{ host, port, protocol: 'http' }`. */
  url: string;
  port: number;
  accountId: string;
  keys: { live: string; restricted: string; test: string };
  admin: StripeAdmin;
  /** The Stripe App this emulator knows (OAuth client id and the app's secret key) and its install state. */
  oauth: StripeOAuthApp & {
    /** Where the install link starts (the emulator's `/oauth/v2/authorize`). */
    authorizeUrl: string;
    /** Uninstall from the dashboard: revokes every token, sends `account.application.deauthorized`. */
    uninstall(): boolean;
    allowedRedirectUris: string[];
  };
  /** API requests received per endpoint, e.g. `{ 'GET /v1/customers': 12 }` (failed ones included). */
  requestCounts(): Record<string, number>;
  /** The API requests themselves, oldest first, with their query parameters (`starting_after`, …). */
  requestLog(): LoggedRequest[];
  /** Clears the counts and the request log. */
  resetCounts(): void;
  setFaults(faults: FaultSettings): void;
  close(): Promise<void>;
}

const accountAgeSeconds = 6 * 365 * 86_400;

/** Starts the emulator: the Stripe API under `/v1`, the admin API under `/_emulator`. */
export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
  // Separate streams, so that e.g. webhook jitter does not shift the ids a seed produces.
  const ids = new Ids(new Random(seed));
  const faultRandom = new Random(seed + 1);
  const keys = new KeyRing(new Random(seed + 2));
  const adminRandom = new Random(seed + 3);
  const clock = new Clock();
  const datasets: Record<Mode, DataSet> = { live: new DataSet('live'), test: new DataSet('test') };
  const account = buildAccount({
    id: ids.next('acct', 16),
    created: clock.now() - accountAgeSeconds,
    name: 'Emulated Stripe account',
    email: 'owner@example.com',
  });
  const deliverer = new WebhookDeliverer(
    { ...defaultWebhookOptions, ...options.webhook },
    new Random(seed + 4),
    (event) => {
      event.pending_webhooks = Math.max(0, event.pending_webhooks - 1);
    },
  );
  const events = new EventLog(ids, clock, deliverer);
  const faults: Faults = {
    latencyMs: options.latencyMs ?? 0,
    failureRate: options.failureRate ?? 0,
    rateLimits: rateLimits(options.rateLimitPerSecond),
    endpointRateLimit: options.endpointRateLimitPerSecond ?? stripeEndpointRateLimit,
  };
  const counts = new Map<string, number>();
  const log = new RequestLog();
  const admin = createAdmin({ datasets, ids, clock, random: adminRandom, events, account }, keys, deliverer);
  const oauth = new StripeOAuth({
    ids,
    keys,
    clock,
    accountId: account.id,
    emitDeauthorized: () => void admin.deauthorizeApplication(),
  });
  const emulatorKeys = { live: keys.create('live'), restricted: keys.create('live', true), test: keys.create('test') };

  const host = options.host ?? '127.0.0.1';
  const requestCounts = (): Record<string, number> => Object.fromEntries(counts);
  const requestLog = (): LoggedRequest[] => log.snapshot();
  const resetCounts = (): void => {
    counts.clear();
    log.clear();
  };
  const setFaults = (settings: FaultSettings): void => applyFaults(faults, settings);
  let url = '';
  const adminRouter = createAdminRouter({
    ...admin,
    info: () => ({ url, accountId: account.id, keys: emulatorKeys, now: clock.now(), faults }),
    requestCounts,
    requestLog,
    resetCounts,
    setFaults,
    seedCustomers: (seedOptions: SeedOptions): SeededCustomer[] => seedCustomers(admin, seedOptions),
    uninstallApp: () => oauth.uninstall(),
  });
  const apiRouter = createApiRouter({
    datasets,
    keys,
    account,
    ids,
    clock,
    random: faultRandom,
    faults,
    limiter: new RateLimiter(),
    endpointRules: { allowLocalUrls: options.allowLocalWebhookUrls ?? false },
    counts,
    log,
  });
  const { server, port } = await listen(
    [
      adminRouter,
      createStripeOAuthRouter(oauth, account.settings?.dashboard?.display_name ?? account.id, account.id),
      apiRouter,
    ],
    ids,
    host,
    options.port ?? defaultPort,
  );
  url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    port,
    accountId: account.id,
    keys: emulatorKeys,
    admin,
    oauth: {
      ...oauth.app,
      authorizeUrl: `${url}/oauth/v2/authorize`,
      uninstall: () => oauth.uninstall(),
      allowedRedirectUris: oauth.allowedRedirectUris,
    },
    requestCounts,
    requestLog,
    resetCounts,
    setFaults,
    close: async () => {
      deliverer.close();
      await closeServer(server);
    },
  };
}
