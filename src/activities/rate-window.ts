import { InFlightLimiter } from './intercom-in-flight';

/**
 * Intercom's rate budget for one workspace token as last reported by its X-RateLimit-* headers. Calls wait for
 * the next window instead of spending requests on 429s; shared by every activity in this worker process.
 */
export class RateWindow {
  private remaining = Number.POSITIVE_INFINITY;
  private resetAtMs = 0;
  /** X-RateLimit-Limit: requests per minute for this token; null until Intercom has said. */
  private limitPerMinute: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before the next call (0 = go), reserving one request of the budget. */
  reserve(): number {
    const now = this.now();
    if (now >= this.resetAtMs) {
      this.remaining = Number.POSITIVE_INFINITY;
      return 0;
    }
    if (this.remaining > 0) {
      this.remaining -= 1;
      return 0;
    }
    return this.resetAtMs - now;
  }

  /**
   * The request rate the budget allows now (per second): the steady limit, or more when the current window has
   * requests left that would otherwise expire unused. Null until Intercom has reported its limit.
   */
  ratePerSecond(): number | null {
    if (this.limitPerMinute === null) return null;
    const steady = this.limitPerMinute / 60;
    const left = this.resetAtMs - this.now();
    if (left <= 0 || !Number.isFinite(this.remaining)) return steady;
    return Math.max(steady, this.remaining / (left / 1000));
  }

  observe(headers: { get(name: string): string | null } | undefined): void {
    const limit = Number(headers?.get('x-ratelimit-limit'));
    if (Number.isFinite(limit) && limit > 0) this.limitPerMinute = limit;
    const remaining = Number(headers?.get('x-ratelimit-remaining'));
    const reset = Number(headers?.get('x-ratelimit-reset'));
    if (!Number.isFinite(remaining) || !Number.isFinite(reset) || headers?.get('x-ratelimit-remaining') == null) return;
    const resetAtMs = reset * 1000;
    // Headers of concurrent responses arrive out of order: keep the most pessimistic view of the current window.
    if (resetAtMs > this.resetAtMs) {
      this.resetAtMs = resetAtMs;
      this.remaining = remaining;
    } else if (resetAtMs === this.resetAtMs) {
      this.remaining = Math.min(this.remaining, remaining);
    }
  }

  /** Forces a wait until the given reset time (after a 429). */
  exhaust(resetAtMs: number): void {
    this.resetAtMs = Math.max(this.resetAtMs, resetAtMs);
    this.remaining = 0;
  }
}

/** One RateWindow per Intercom token, with the limiter of its calls in flight, created on first use. */
export class RateWindows {
  private readonly windows = new Map<string, { window: RateWindow; inFlight: InFlightLimiter }>();

  for(key: string): { window: RateWindow; inFlight: InFlightLimiter } {
    let entry = this.windows.get(key);
    if (!entry) {
      const window = new RateWindow();
      entry = { window, inFlight: new InFlightLimiter(window) };
      this.windows.set(key, entry);
    }
    return entry;
  }
}
