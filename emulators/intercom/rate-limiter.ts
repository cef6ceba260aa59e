/** Intercom enforces its per-minute limit in 10-second windows of a sixth of it. */
const WINDOW_MS = 10_000;

export interface RateLimitDecision {
  allowed: boolean;
  limitPerMinute: number;
  perWindow: number;
  remaining: number;
  /** Unix seconds at which the current window ends (`X-RateLimit-Reset`). */
  resetAtSeconds: number;
}

/**
 * Fixed windows per token, each opened by the first request after the previous one ended, so a burst of
 * requests always lands in one window (tests stay deterministic). Rejected requests still use up the window.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { startMs: number; used: number }>();

  take(token: string, limitPerMinute: number, nowMs: number): RateLimitDecision {
    const perWindow = Math.max(1, Math.floor(limitPerMinute / 6));
    let window = this.windows.get(token);
    if (!window || nowMs >= window.startMs + WINDOW_MS) {
      window = { startMs: nowMs, used: 0 };
      this.windows.set(token, window);
    }
    window.used += 1;
    return {
      allowed: window.used <= perWindow,
      limitPerMinute,
      perWindow,
      remaining: Math.max(0, perWindow - window.used),
      resetAtSeconds: Math.ceil((window.startMs + WINDOW_MS) / 1000),
    };
  }
}
