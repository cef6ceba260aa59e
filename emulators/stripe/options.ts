import { type Faults, type RateLimits, stripeRateLimits } from './faults';
import { type Mode } from './types';
import { type WebhookOptions } from './webhooks/deliverer';

/** A number applies to both modes; an object sets modes separately (Stripe: live 100, test 25); 0 = off. */
export type RateLimitSetting = number | Partial<Record<Mode, number>>;

export interface FaultSettings {
  /** Delay added to every API request. */
  latencyMs?: number;
  /** Share of API requests (0..1) answered with a 500 `api_error`. */
  failureRate?: number;
  rateLimitPerSecond?: RateLimitSetting;
  /** Requests per second to any one endpoint (Stripe: 25, the default); 0 = off. */
  endpointRateLimitPerSecond?: number;
}

export interface StripeEmulatorOptions extends FaultSettings {
  /** Default 12111; 0 picks a free port. */
  port?: number;
  host?: string;
  webhook?: Partial<WebhookOptions>;
  /** Makes ids, keys, fault injection and webhook knobs reproducible. */
  seed?: number;
  /**
   * Accept webhook endpoint URLs on local or private hosts and plain HTTP, which Stripe refuses (tests and the demo
   * receive on 127.0.0.1). Default false, as Stripe.
   */
  allowLocalWebhookUrls?: boolean;
}

export const defaultPort = 12111;

export const defaultWebhookOptions: WebhookOptions = {
  maxAttempts: 8,
  retryDelayMs: 1000,
  duplicateProbability: 0,
  maxDuplicates: 1,
  reorder: false,
  delayMs: [0, 0],
  concurrency: 4,
  timeoutMs: 10_000,
};

export function rateLimits(setting: RateLimitSetting | undefined, current: RateLimits = stripeRateLimits): RateLimits {
  if (setting === undefined) return { ...current };
  if (typeof setting === 'number') return { live: setting, test: setting };
  return { ...current, ...setting };
}

/** Applies fault settings over the current ones; unset fields keep their value. */
export function applyFaults(faults: Faults, settings: FaultSettings): void {
  if (settings.latencyMs !== undefined) faults.latencyMs = settings.latencyMs;
  if (settings.failureRate !== undefined) faults.failureRate = Math.min(1, Math.max(0, settings.failureRate));
  if (settings.rateLimitPerSecond !== undefined)
    faults.rateLimits = rateLimits(settings.rateLimitPerSecond, faults.rateLimits);
  if (settings.endpointRateLimitPerSecond !== undefined) faults.endpointRateLimit = settings.endpointRateLimitPerSecond;
}
