import { type Mode } from './types';

/** Per-mode request budgets per second; 0 turns the limit off. */
export type RateLimits = Record<Mode, number>;

/** Stripe's default budgets: 100 operations per second in live mode, 25 in test mode. */
export const stripeRateLimits: RateLimits = { live: 100, test: 25 };

export interface Faults {
  latencyMs: number;
  /** Share of API requests (0..1) answered with a 500 `api_error`. */
  failureRate: number;
  rateLimits: RateLimits;
  /** Per endpoint (method and path pattern) and mode, per second; 0 turns it off. Stripe: 25. */
  endpointRateLimit: number;
}

/** Stripe's default per-endpoint budget: https://docs.stripe.com/rate-limits. */
export const stripeEndpointRateLimit = 25;

/** A sliding one-second window per key (a mode, or a mode's endpoint), counting the requests it let through. */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  /** True if the request fits in the budget (and is then counted). */
  admit(key: string, limit: number, nowMs: number): boolean {
    if (limit <= 0) return true;
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = []));
    while (window.length > 0 && (window[0] as number) <= nowMs - 1000) window.shift();
    if (window.length >= limit) return false;
    window.push(nowMs);
    return true;
  }
}
