import { ApplicationFailure } from '@temporalio/activity';
import Stripe from 'stripe';
import { IntercomRateLimited, IntercomUnauthorized } from './intercom-gateway';

/** Error type the workflows treat as final for the install (bad credentials, attribute type clash). */
export const INSTALL_FAILED = 'InstallFailed';

export function installFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INSTALL_FAILED, message, nonRetryable: true });
}

/** Stripe has no reset header; a short pause lets its per-second window pass. */
const STRIPE_RATE_LIMIT_PAUSE_MS = 1_000;

/**
 * Turns an error from Stripe or Intercom into what Temporal should do with the activity: retry at the time the
 * service asked for, fail the install, or retry with the default backoff (5xx, network).
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof IntercomRateLimited) {
    return ApplicationFailure.create({ type: 'RateLimited', message: err.message, nextRetryDelay: err.retryAfterMs });
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    return ApplicationFailure.create({
      type: 'RateLimited',
      message: `Stripe rate limit: ${err.message}`,
      nextRetryDelay: STRIPE_RATE_LIMIT_PAUSE_MS,
    });
  }
  if (err instanceof IntercomUnauthorized) return installFailure(err.message);
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return installFailure(`Stripe rejected the API key: ${err.message}`);
  }
  return err;
}

/** Runs an activity body, translating vendor errors for Temporal's retry policy. */
export async function withFailureMapping<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
