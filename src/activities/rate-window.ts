import { isLiveWork } from '../shared/live-work';
import { InFlightLimiter } from './intercom-in-flight';

/**
 * Intercom counts requests in 10-second windows, and X-RateLimit-Limit is a window's count: "a rate limit of 1000 per
 * minute, which is 167 per 10-second window" answers `X-RateLimit-Limit: 167`
 * (https://developers.intercom.com/docs/references/2.17/rest-api/errors/rate-limiting).
 */
const WINDOW_SECONDS = 10;
/**
 * Share of each window's requests that only live work (asLiveWork) may spend: an import that spent a window to its
 * end would make a webhook's change wait for the next one, up to 10 s. 1 % of 10,000/min is 17 requests a window, a
 * few changes' worth; an import is slowed by at most that.
 */
const LIVE_SHARE = 0.01;

/**
 * Intercom's rate budget for one workspace token as last reported by its X-RateLimit-* headers. Calls wait for
 * the next window instead of spending requests on 429s; shared by every activity in this worker process.
 */
export class RateWindow {
  private remaining = Number.POSITIVE_INFINITY;
  private resetAtMs = 0;
  /** X-RateLimit-Limit: requests per window for this token; null until Intercom has said. */
  private limitPerWindow: number | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to wait before the next call (0 = go), reserving one request of the budget. */
  reserve(): number {
    const now = this.now();
    if (now >= this.resetAtMs) {
      this.remaining = Number.POSITIVE_INFINITY;
      return 0;
    }
    if (this.remaining > (isLiveWork() ? 0 : this.liveReserve())) {
      this.remaining -= 1;
      return 0;
    }
    return this.resetAtMs - now;
  }

  /** Requests of the window kept for live work; none until Intercom has said its limit. */
  private liveReserve(): number {
    if (this.limitPerWindow === null) return 0;
    return Math.max(1, Math.ceil(this.limitPerWindow * LIVE_SHARE));
  }

  /**
   * The request rate the budget allows now (per second): the steady limit, or more when the current window has
   * requests left that would otherwise expire unused. Null until Intercom has reported its limit.
   */
  ratePerSecond(): number | null {
    if (this.limitPerWindow === null) return null;
    const steady = this.limitPerWindow / WINDOW_SECONDS;
    const left = this.resetAtMs - this.now();
    if (left <= 0 || !Number.isFinite(this.remaining)) return steady;
    return Math.max(steady, this.remaining / (left / 1000));
  }

  observe(headers: { get(name: string): string | null } | undefined): void {
    const limit = Number(headers?.get('x-ratelimit-limit'));
    if (Number.isFinite(limit) && limit > 0) this.limitPerWindow = limit;
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
