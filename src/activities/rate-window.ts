/**
 * Intercom's rate budget for one workspace token as last reported by its X-RateLimit-* headers. Calls wait for
 * the next window instead of spending requests on 429s; shared by every activity in this worker process.
 */
export class RateWindow {
  private remaining = Number.POSITIVE_INFINITY;
  private resetAtMs = 0;

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

  observe(headers: { get(name: string): string | null } | undefined): void {
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

/** One RateWindow per Intercom token, created on first use. */
export class RateWindows {
  private readonly windows = new Map<string, RateWindow>();

  for(key: string): RateWindow {
    let window = this.windows.get(key);
    if (!window) {
      window = new RateWindow();
      this.windows.set(key, window);
    }
    return window;
  }
}
