/** Intercom enforces its per-minute limit in 10-second windows of a sixth of it, aligned to the clock. */
export const RATE_WINDOW_MS = 10_000;

export interface RateLimitDecision {
  allowed: boolean;
  limitPerMinute: number;
  perWindow: number;
  remaining: number;
  /** Unix seconds at which the current window ends (`X-RateLimit-Reset`). */
  resetAtSeconds: number;
}

/**
 * Fixed 10-second windows per token, aligned to the clock: Intercom's own example answers a window's requests with
 * `X-RateLimit-Reset: 1487332510` and, "after window resets", `1487332520`, whole multiples of ten seconds
 * (https://developers.intercom.com/docs/references/rest-api/errors/rate-limiting). So a client that waits for the
 * reset it was told starts the next window with all of its budget. Rejected requests still use up the window.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; used: number }>();

  take(token: string, limitPerMinute: number, nowMs: number): RateLimitDecision {
    const perWindow = Math.max(1, Math.floor(limitPerMinute / 6));
    const startMs = Math.floor(nowMs / RATE_WINDOW_MS) * RATE_WINDOW_MS;
    let window = this.windows.get(token);
    if (!window || window.startMs !== startMs) {
      window = { startMs, used: 0 };
      this.windows.set(token, window);
    }
    window.used += 1;
    return {
      allowed: window.used <= perWindow,
      limitPerMinute,
      perWindow,
      remaining: Math.max(0, perWindow - window.used),
      resetAtSeconds: (window.startMs + RATE_WINDOW_MS) / 1000,
    };
  }
}
