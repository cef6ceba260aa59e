import Router, { type RouterContext } from '@koa/router';
import type Stripe from 'stripe';
import { type Clock } from '../clock';
import { type DataSet } from '../dataset';
import { StripeApiError } from '../errors';
import { type Faults, type RateLimiter } from '../faults';
import { type Ids } from '../ids';
import { type KeyRing, redactKey } from '../keys';
import { type Random } from '../random';
import { type Mode } from '../types';
import { accountRoutes } from './account';
import { billingRoutes } from './billing';
import { catalogRoutes } from './catalog';
import { customerRoutes } from './customers';
import { eventRoutes } from './events';
import { Expander } from './expand';
import { parseForm } from './form';
import { paymentRoutes } from './payments';
import { readBody } from './read-body';
import { type Route } from './route';
import { type EndpointRules } from '../webhooks/endpoint-rules';

export interface ApiDeps {
  datasets: Record<Mode, DataSet>;
  keys: KeyRing;
  account: Stripe.Account;
  ids: Ids;
  clock: Clock;
  random: Random;
  faults: Faults;
  limiter: RateLimiter;
  endpointRules: EndpointRules;
  counts: Map<string, number>;
  /** Every API request in arrival order, for tests that assert which page a caller asked for. */
  log: RequestLog;
}

/** One API request as received: its endpoint (the `requestCounts()` key) and its query parameters. */
export interface LoggedRequest {
  endpoint: string;
  query: Record<string, string>;
  atMs: number;
}

/** The most recent requests, oldest first; bounded so a long-running emulator does not grow without limit. */
export class RequestLog {
  private readonly entries: LoggedRequest[] = [];

  constructor(private readonly capacity = 50_000) {}

  record(entry: LoggedRequest): void {
    this.entries.push(entry);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  snapshot(): LoggedRequest[] {
    return this.entries.map((entry) => ({ ...entry, query: { ...entry.query } }));
  }

  clear(): void {
    this.entries.length = 0;
  }
}

const routes: Route[] = [
  ...accountRoutes,
  ...customerRoutes,
  ...billingRoutes,
  ...catalogRoutes,
  ...paymentRoutes,
  ...eventRoutes,
];

const missingKeyMessage =
  "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.";

/** The key from `Authorization: Bearer <key>` or from Basic auth with the key as user name. */
function presentedKey(header: string | undefined): string | undefined {
  const match = /^(\w+)\s+(.+)$/.exec(header?.trim() ?? '');
  if (match === null) return undefined;
  const [, scheme = '', value = ''] = match;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function authenticate(keys: KeyRing, header: string | undefined, now: number): Mode {
  const key = presentedKey(header);
  if (key === undefined || key === '') throw new StripeApiError(401, 'invalid_request_error', missingKeyMessage);
  const found = keys.lookup(key, now);
  if (found.status === 'revoked') {
    throw new StripeApiError(
      401,
      'invalid_request_error',
      `Expired API Key provided: ${redactKey(key)}`,
      'api_key_expired',
    );
  }
  if (found.status === 'unknown') {
    throw new StripeApiError(401, 'invalid_request_error', `Invalid API Key provided: ${redactKey(key)}`);
  }
  return found.mode;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The Stripe API surface under `/v1`: every request is counted, authenticated, rate limited per mode,
 * optionally delayed or failed, then parsed and answered from the key's data set.
 */
export function createApiRouter(deps: ApiDeps): Router {
  const router = new Router();
  const count = (key: string, ctx: RouterContext): void => {
    deps.counts.set(key, (deps.counts.get(key) ?? 0) + 1);
    deps.log.record({
      endpoint: key,
      query: Object.fromEntries(new URLSearchParams(ctx.querystring)),
      atMs: Date.now(),
    });
  };

  const handle = (route: Route) => async (ctx: RouterContext) => {
    count(`${route.method} ${route.path}`, ctx);
    const mode = authenticate(deps.keys, ctx.get('authorization') || undefined, deps.clock.now());
    const nowMs = Date.now();
    // Stripe counts every named operation as its own endpoint (GET /v1/customers/:id for any id is one), limited to
    // 25 requests per second besides the account-wide 100 (live) / 25 (test): https://docs.stripe.com/rate-limits.
    const admitted =
      deps.limiter.admit(mode, deps.faults.rateLimits[mode], nowMs) &&
      deps.limiter.admit(`${mode} ${route.method} ${route.path}`, deps.faults.endpointRateLimit, nowMs);
    if (!admitted) {
      throw new StripeApiError(
        429,
        'invalid_request_error',
        'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
        'rate_limit',
      );
    }
    if (deps.faults.latencyMs > 0) await sleep(deps.faults.latencyMs);
    if (deps.faults.failureRate > 0 && deps.random.chance(deps.faults.failureRate)) {
      throw new StripeApiError(
        500,
        'api_error',
        "Sorry, something went wrong. We've already been notified of the problem, but if you need any help, you can reach us at https://support.stripe.com/contact.",
      );
    }
    const body = route.method === 'POST' ? await readBody(ctx.req) : '';
    const params = { ...parseForm(ctx.querystring), ...parseForm(body) };
    const data = deps.datasets[mode];
    ctx.body = route.handle({
      data,
      params,
      path: ctx.params,
      expander: new Expander(data),
      account: deps.account,
      ids: deps.ids,
      clock: deps.clock,
      endpointRules: deps.endpointRules,
    });
  };

  for (const route of routes) router.register(route.path, [route.method], handle(route));

  router.all(/^\/v1\//, (ctx) => {
    count(`${ctx.method} ${ctx.path}`, ctx);
    authenticate(deps.keys, ctx.get('authorization') || undefined, deps.clock.now());
    throw new StripeApiError(
      404,
      'invalid_request_error',
      `Unrecognized request URL (${ctx.method}: ${ctx.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
    );
  });
  return router;
}
