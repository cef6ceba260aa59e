import type { Context, Middleware } from 'koa';
import { HttpError } from './errors';

/**
 * At most `limit` requests per client address in each window of `windowMs` (fixed windows: simple, and the map is
 * emptied every window, so memory stays bounded by the addresses seen in one window). The address is the socket's,
 * or X-Forwarded-For's when TRUST_PROXY is set (app.proxy).
 */
export function rateLimitPerClient(options: {
  limit: number;
  windowMs: number;
  what: string;
  /** Who is counted (default: the client address) and how the 429 names it. */
  client?: { of: (ctx: Context) => string; name: string };
}): Middleware {
  const clientOf = options.client?.of ?? ((ctx: Context) => ctx.ip);
  const clientName = options.client?.name ?? 'address';
  const counts = new Map<string, number>();
  let windowStarted = Date.now();
  return async (ctx, next) => {
    const now = Date.now();
    if (now - windowStarted >= options.windowMs) {
      counts.clear();
      windowStarted = now;
    }
    const client = clientOf(ctx);
    const count = (counts.get(client) ?? 0) + 1;
    counts.set(client, count);
    if (count > options.limit) {
      const retryAfter = Math.max(1, Math.ceil((windowStarted + options.windowMs - now) / 1000));
      ctx.set('Retry-After', String(retryAfter));
      throw new HttpError(
        429,
        'rate_limited',
        `Too many ${options.what} from this ${clientName}. Nothing was started; try again in ${retryAfter} s.`,
      );
    }
    await next();
  };
}
