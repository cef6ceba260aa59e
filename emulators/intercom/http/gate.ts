import { setTimeout as sleep } from 'node:timers/promises';
import type { Middleware } from 'koa';
import type { Conditions, InjectedFailure } from '../conditions';
import { ApiError } from '../errors';
import type { RateLimiter } from '../rate-limiter';
import type { Registry } from '../registry';
import type { RequestCounts } from '../request-counts';
import type { State } from './envelope';

/** The only version the emulator speaks; a request without the header gets it too, as Intercom uses the app's default. */
const SUPPORTED_VERSION = '2.14';

export interface GateDependencies {
  registry: Registry;
  counts: RequestCounts;
  conditions: Conditions;
  limiter: RateLimiter;
}

/**
 * What every Intercom API request passes before its handler, in this order: counting (under the endpoint's
 * route pattern), injected latency, injected failures, bearer auth, the per-token rate limit, the version header.
 */
export function gate(endpoint: string, dependencies: GateDependencies): Middleware<State> {
  const { registry, counts, conditions, limiter } = dependencies;
  return async (ctx, next) => {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.get('Authorization'))?.[1];
    const workspace = token === undefined ? undefined : registry.forToken(token);
    counts.record(endpoint, workspace?.id);
    const { latencyMs, rateLimitPerMinute } = conditions.settings;
    if (latencyMs > 0) await sleep(latencyMs);
    const failure = conditions.drawFailure(endpoint);
    if (failure && !failure.afterEffect) throw injectedError(failure);
    if (token === undefined || workspace === undefined) throw new ApiError(401, 'unauthorized', 'Access Token Invalid');
    if (rateLimitPerMinute > 0) {
      const decision = limiter.take(token, rateLimitPerMinute, Date.now());
      // X-RateLimit-Limit is the window's count, not the minute's: "a rate limit of 1000 per minute, which is 167 per
      // 10-second window" answers `X-RateLimit-Limit: 167`
      // (https://developers.intercom.com/docs/references/2.17/rest-api/errors/rate-limiting).
      ctx.set({
        'X-RateLimit-Limit': String(decision.perWindow),
        'X-RateLimit-Remaining': String(decision.remaining),
        'X-RateLimit-Reset': String(decision.resetAtSeconds),
      });
      if (!decision.allowed) {
        throw new ApiError(429, 'rate_limit_exceeded', `Exceeded rate limit of ${decision.perWindow} in 10_seconds`);
      }
    }
    const version = ctx.get('Intercom-Version');
    if (version !== '' && version !== SUPPORTED_VERSION) {
      throw new ApiError(
        400,
        'intercom_version_invalid',
        `The emulator only speaks Intercom-Version ${SUPPORTED_VERSION}`,
      );
    }
    ctx.state.workspace = workspace;
    await next();
    const { answerDelayMs = 0 } = conditions.settings;
    if (answerDelayMs > 0) await sleep(answerDelayMs);
    // The request has taken effect; only its answer is lost, as when a connection drops after the commit.
    if (failure) throw injectedError(failure);
  };
}

function injectedError(failure: InjectedFailure): ApiError {
  return failure.status === 503
    ? new ApiError(503, 'service_unavailable', 'Service Unavailable')
    : new ApiError(500, 'server_error', 'Server Error');
}
