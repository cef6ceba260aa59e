import { ApplicationFailure, CancelledFailure, heartbeat } from '@temporalio/activity';
import { activityContext } from '../vendors/activity-cancellation';
import { IntercomError, IntercomTimeoutError } from 'intercom-client';
import { DatabaseError } from 'pg';
import Stripe from 'stripe';
import { IntercomRateLimited, IntercomUnauthorized } from './intercom-gateway';

/** Error type the workflows treat as final for the install (bad credentials, attribute type clash). */
export const INSTALL_FAILED = 'InstallFailed';

export function installFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: INSTALL_FAILED, message, nonRetryable: true });
}

/** Stripe has no reset header; a short pause lets its per-second window pass. */
const STRIPE_RATE_LIMIT_PAUSE_MS = 1_000;

/** A service the sync depends on; named in retry failures so the status can say what the sync waits on. */
export type Dependency = 'intercom' | 'stripe' | 'postgres' | 'network';

/** The failure type of an activity retrying because `dependency` is down or slow, e.g. `IntercomUnavailable`. */
export const unavailableType = (dependency: Dependency): string =>
  `${dependency[0]?.toUpperCase()}${dependency.slice(1)}Unavailable`;

/** Connection-level failures (any client): the peer is down or unreachable, never the data's fault. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/**
 * Which dependency an error comes from, when it is one a retry can outlast (5xx, 429, timeouts, connection loss).
 * null: the error is about the data or our code (a mapping that throws, a value PostgreSQL refuses), so a retry
 * would fail the same way.
 */
export function dependencyOf(err: unknown): Dependency | null {
  if (err instanceof IntercomRateLimited || err instanceof IntercomTimeoutError) return 'intercom';
  if (err instanceof IntercomError) return (err.statusCode ?? 500) >= 500 ? 'intercom' : null;
  if (err instanceof Stripe.errors.StripeError) {
    // No status: the connection failed. A 4xx other than 429 is about the request, and would be refused again.
    const status = err.statusCode;
    return status === undefined || status >= 500 || status === 429 ? 'stripe' : null;
  }
  if (err instanceof DatabaseError) {
    // SQLSTATE classes 22 (data exception) and 23 (integrity violation) are about the row, not the server.
    return /^2[23]/.test(err.code ?? '') ? null : 'postgres';
  }
  const { code, cause } = err as { code?: unknown; cause?: unknown };
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'network';
  if (err instanceof Error && /Connection terminated|timeout exceeded when trying to connect/i.test(err.message)) {
    return 'postgres';
  }
  // Node's fetch (the Intercom client) reports a refused connection as TypeError('fetch failed', { cause }).
  return cause !== undefined && cause !== err ? dependencyOf(cause) : null;
}

/**
 * Turns an error from Stripe or Intercom into what Temporal should do with the activity: retry at the time the
 * service asked for, fail the install, or retry with the default backoff (5xx, network) under a type naming the
 * dependency (`IntercomUnavailable`…), which the install's status shows.
 */
export function toActivityFailure(err: unknown): unknown {
  if (err instanceof IntercomRateLimited) {
    return ApplicationFailure.create({
      type: 'IntercomRateLimited',
      message: err.message,
      nextRetryDelay: err.retryAfterMs,
    });
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    return ApplicationFailure.create({
      type: 'StripeRateLimited',
      message: `Stripe rate limit: ${err.message}`,
      nextRetryDelay: STRIPE_RATE_LIMIT_PAUSE_MS,
    });
  }
  if (err instanceof IntercomUnauthorized) return installFailure(err.message);
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return installFailure(`Stripe rejected the API key: ${err.message}`);
  }
  if (err instanceof ApplicationFailure) return err;
  const dependency = dependencyOf(err);
  if (dependency) {
    const message = err instanceof Error ? err.message : String(err);
    return ApplicationFailure.create({ type: unavailableType(dependency), message, cause: asError(err) });
  }
  return err;
}

function asError(err: unknown): Error | undefined {
  return err instanceof Error ? err : undefined;
}

/**
 * Heartbeats, unless the activity is a local one: it runs inside its workflow's task, which is its liveness check, and
 * the server knows nothing of it to heartbeat.
 */
export function heartbeatUnlessLocal(details?: unknown): void {
  if (!activityContext()?.info.isLocal) heartbeat(details);
}

/** How often a long activity tells Temporal it is alive; its heartbeat timeout is a few times this. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs an activity body, translating vendor errors for Temporal's retry policy. Heartbeats on a timer meanwhile (with
 * `heartbeatDetails()`, when given), so a short heartbeat timeout notices a dead worker within seconds while a slow
 * call (bounded by its client's own timeout) keeps its attempt.
 *
 * Only the timer heartbeats: an activity that ends within HEARTBEAT_EVERY_MS (a live change's batch, most import
 * pages) sends none. Each heartbeat is a server round trip and a write of the workflow's mutable state, and the SDK
 * sends an attempt's first heartbeat at once (later ones are throttled to 80 % of the heartbeat timeout, per
 * `Context.heartbeat` in https://typescript.temporal.io/api/classes/activity.Context), so a heartbeat on every step
 * of progress cost every short batch a round trip.
 */
export async function withFailureMapping<T>(work: () => Promise<T>, heartbeatDetails?: () => unknown): Promise<T> {
  // The activity's progress rides on every heartbeat: Temporal keeps only the latest details for the next attempt.
  const timer = setInterval(() => heartbeatUnlessLocal(heartbeatDetails?.()), HEARTBEAT_EVERY_MS);
  try {
    // Cancelled (its workflow cancelled or disabled, or the server gave up on it), the activity gives its slot back
    // at once rather than finishing work nobody waits for: Temporal delivers the cancellation with a heartbeat's answer.
    // Calls already sent end on their clients' timeouts; the Stripe pacer sends nothing more for it.
    const cancelled = activityContext()?.cancelled;
    return await (cancelled ? Promise.race([work(), cancelled]) : work());
  } catch (err) {
    if (err instanceof CancelledFailure) throw err;
    // A retry starts from the progress made so far, also when this attempt failed before the timer's first beat.
    if (heartbeatDetails) heartbeatUnlessLocal(heartbeatDetails());
    throw toActivityFailure(err);
  } finally {
    clearInterval(timer);
  }
}
