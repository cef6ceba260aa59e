import type Router from '@koa/router';
import { createRouter } from '../router';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import { Counter, Registry } from 'prom-client';
import type Stripe from 'stripe';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { SecretBox } from '../../crypto/secret-box';
import type { InstallWorkflows } from '../../temporal-client/workflows';
import { countIgnoredWebhook } from '../../db/events';
import { findActiveInstallsByAccount, findInstall, type Install } from '../../db/installs';
import { accountOfUnverified } from '../../webhooks/envelope';
import { createEventIntake, type IntakeOutcome } from '../../webhooks/intake';
import { INVALID_SIGNATURE_MESSAGE, verifyStripeEventFor, WebhookRejected } from '../../webhooks/verify';
import { HttpError } from '../errors';
import { asLiveWork } from '../../shared/live-work';
import type { AppState } from '../app';

/** Stripe's own payloads stay far below this; anything larger is not a Stripe event. */
export const MAX_WEBHOOK_BYTES = 1024 * 1024;

const installIdPattern = /^ins_[A-Za-z0-9_-]{1,40}$/;

export interface WebhookRouterDeps {
  pool: Pool;
  config: Config;
  secrets: SecretBox;
  workflows: InstallWorkflows;
  logger: Logger;
  /** Bound on each Temporal call before answering 503 (default 10 s): only a deauthorization waits on Temporal. */
  temporalTimeoutMs?: number;
  /** Told once a customer's event is committed to the signal outbox (the API's relay; NOTIFY wakes every relay). */
  outbox?: { queued(installId: string): void };
  /** Where unverified deliveries are counted (they never reach the database). */
  metrics?: Registry;
}

/** Why a delivery was acknowledged without verifying it: there is no install whose secret could verify it. */
type UnverifiedReason = 'unknown_install' | 'install_disabled';

/**
 * Stripe's webhook deliveries (https://docs.stripe.com/webhooks). The body is read raw here (no JSON parser may run
 * before it: the signature covers the exact bytes). Answers:
 * - 200 `{received: true}` once the event is committed in PostgreSQL with its signal outbox row (the relay hands it
 *   to the sync workflow, also after a Temporal outage), or once an ignored delivery is counted;
 * - 400 for a missing, malformed, mismatched or stale signature and for a body that is not a Stripe event, with
 *   nothing recorded or signalled; 413 above 1 MiB;
 * - 503 when Postgres is unavailable (or Temporal, for a deauthorization only; or the install's endpoint secret is
 *   not stored yet), so Stripe retries: a delivery is only acknowledged once it cannot be lost.
 *
 * An unknown install is acknowledged 2xx rather than 404: Stripe retries anything else for 3 days and eventually
 * disables the endpoint, and for an endpoint we no longer know there is nothing a retry could achieve. It is counted
 * under no install id, because the id in the path is unauthenticated input.
 */
export function createWebhookRouter(deps: WebhookRouterDeps): Router<AppState> {
  const { pool, secrets, logger } = deps;
  const intake = createEventIntake({
    pool,
    workflows: deps.workflows,
    temporalTimeoutMs: deps.temporalTimeoutMs,
    onQueued: (installId) => deps.outbox?.queued(installId),
  });
  const router = createRouter<AppState>();

  const logOf = (ctx: Context): Logger => (ctx.state as Partial<AppState>).log ?? logger;
  const registry = deps.metrics ?? new Registry();
  const unverified = webhookCounter(registry, {
    name: 'webhook_deliveries_unverified_total',
    help: 'Webhook deliveries with no secret to verify them (unknown or disabled install), by reason',
  });
  const rejected = webhookCounter(registry, {
    name: 'webhook_deliveries_rejected_total',
    help: 'Webhook deliveries refused (400/413: signature, body), by error code',
  });

  /** Postgres (or, disabling an install, Temporal) failed: 503 so Stripe delivers again. The cause: the log only. */
  async function orUnavailable<T>(ctx: Context, what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      logOf(ctx).warn({ err, what }, 'webhook not accepted: dependency unavailable');
      throw new HttpError(503, 'service_unavailable', `${what} failed; the delivery will be accepted on a retry`);
    }
  }

  /**
   * The platform endpoint carries every connected account's events, also those of accounts with no install: they are
   * acknowledged (2xx, so Stripe does not retry them for days), counted in memory only, since anyone can post them.
   */
  function acknowledgeUnverified(ctx: Context, reason: UnverifiedReason): void {
    unverified.inc({ reason });
    logOf(ctx).info({ reason }, 'webhook ignored');
    ctx.status = 200;
    ctx.body = { received: true, ignored: reason };
  }

  /**
   * On an install's own endpoint, a delivery nobody can verify (no such install, or a disabled one whose secret is wiped) is answered exactly as a
   * bad signature: a different answer would tell anyone which install ids exist. Counted in memory only: anyone can
   * post these, and they must cost no database write.
   */
  function refuseUnverifiable(ctx: Context, reason: UnverifiedReason): never {
    unverified.inc({ reason });
    logOf(ctx).info({ reason }, 'webhook refused: nothing to verify it with');
    throw new HttpError(400, 'invalid_signature', INVALID_SIGNATURE_MESSAGE, 'stripe-signature');
  }

  /** A verified delivery acknowledged without work (another account's event), counted for the install. */
  async function acknowledgeMisrouted(ctx: Context, installId: string): Promise<void> {
    const reason = 'account_mismatch';
    await orUnavailable(ctx, 'counting the delivery', () => countIgnoredWebhook(pool, installId, reason));
    logOf(ctx).info({ installId, reason }, 'webhook ignored');
    ctx.status = 200;
    ctx.body = { received: true, ignored: reason };
  }

  /** The event, and the installs whose own endpoint secret signed it (never one whose secret did not). */
  function verify(raw: Buffer, ctx: Context, installs: Install[]): { event: Stripe.Event; installs: Install[] } {
    const candidates = installs.flatMap((install) =>
      install.webhookSecretSealed ? [{ install, secret: secrets.open(install.webhookSecretSealed) }] : [],
    );
    try {
      const verified = verifyStripeEventFor(raw, signatureOf(ctx), candidates);
      return { event: verified.event, installs: verified.signers.map(({ install }) => install) };
    } catch (err) {
      if (err instanceof WebhookRejected) throw new HttpError(400, err.code, err.message, fieldOf(err));
      throw err;
    }
  }

  // A delivery is the start of a live change: its queries take the API's next free connection ahead of page reads
  // and install steps (API_POOL_OPTIONS), so Stripe's answer does not wait for them.
  router.use((_ctx, next) => asLiveWork(next));

  /** Refusals counted by code before the error middleware answers them. */
  router.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof HttpError && err.status < 500) rejected.inc({ reason: err.code });
      throw err;
    }
  });

  async function deliver(ctx: Context, installs: Install[], event: Stripe.Event): Promise<void> {
    const outcomes: Array<{ installId: string; outcome: IntakeOutcome }> = [];
    for (const install of installs) {
      const outcome = await orUnavailable(ctx, 'recording the event', () => intake.accept(install, event));
      outcomes.push({ installId: install.id, outcome });
    }
    for (const { installId, outcome } of outcomes) {
      logOf(ctx).info(
        { installId, eventId: event.id, type: event.type, outcome: outcome.kind, ...detailOf(outcome) },
        'webhook accepted',
      );
    }
    ctx.status = 200;
    ctx.body = { received: true };
  }

  /** Endpoints registered per install (registerWebhookEndpoint): the path names the install. */
  router.post('/webhooks/stripe/:installId', async (ctx) => {
    const raw = await readRawBody(ctx);
    requireSignatureHeader(ctx);
    const installId = ctx.params.installId ?? '';
    const install = installIdPattern.test(installId)
      ? await orUnavailable(ctx, 'loading the install', () => findInstall(pool, installId))
      : undefined;
    if (!install) return refuseUnverifiable(ctx, 'unknown_install');
    if (!install.webhookSecretSealed) {
      if (install.status === 'disabled') return refuseUnverifiable(ctx, 'install_disabled');
      // Stripe can deliver between creating the endpoint and our storing its secret: have it try again shortly.
      throw new HttpError(503, 'endpoint_not_ready', 'the webhook endpoint of this install is still being set up');
    }
    const { event } = verify(raw, ctx, [install]);
    // An account's own endpoint only carries that account's events; a foreign `account` is a misrouted delivery.
    if (event.account && event.account !== install.stripeAccountId) return acknowledgeMisrouted(ctx, install.id);
    await deliver(ctx, [install], event);
  });

  /**
   * Connect-style deliveries (one platform endpoint for every account): routed by the event's `account`, verified
   * against the secrets of that account's installs, then handed to each install whose secret signed it (each applies
   * its own livemode). Another install of the account, with another secret, gets nothing from it.
   */
  router.post('/webhooks/stripe', async (ctx) => {
    const raw = await readRawBody(ctx);
    requireSignatureHeader(ctx);
    // Read unverified only to find whose secret to verify with; nothing is acted on before verification.
    const account = accountOfUnverified(parseJsonOrReject(raw));
    if (!account) return acknowledgeUnverified(ctx, 'unknown_install');
    const installs = await orUnavailable(ctx, 'loading the installs', () => findActiveInstallsByAccount(pool, account));
    if (installs.length === 0) return acknowledgeUnverified(ctx, 'unknown_install');
    if (!installs.some((install) => install.webhookSecretSealed)) {
      throw new HttpError(503, 'endpoint_not_ready', 'the webhook endpoint of this account is still being set up');
    }
    const verified = verify(raw, ctx, installs);
    await deliver(ctx, verified.installs, verified.event);
  });

  return router;
}

/** A counter by `reason`; a second router on the same registry (tests) shares it. */
function webhookCounter(registry: Registry, options: { name: string; help: string }): Counter<'reason'> {
  const existing = registry.getSingleMetric(options.name);
  if (existing) return existing as Counter<'reason'>;
  return new Counter({ ...options, labelNames: ['reason'], registers: [registry] });
}

/** Reads the body as bytes, refusing more than MAX_WEBHOOK_BYTES (by its declared length first, then as it streams). */
async function readRawBody(ctx: Context): Promise<Buffer> {
  const tooLarge = () => {
    // The rest of the body stays unread, so the connection cannot carry another request.
    ctx.set('Connection', 'close');
    return new HttpError(413, 'payload_too_large', `the body exceeds ${MAX_WEBHOOK_BYTES} bytes`, 'body');
  };
  const declared = Number(ctx.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_WEBHOOK_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_WEBHOOK_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

const signatureOf = (ctx: Context): string | undefined => ctx.get('stripe-signature') || undefined;

/** Without a signature the delivery is not from Stripe, whoever it claims to be for: refused before any lookup. */
function requireSignatureHeader(ctx: Context): void {
  if (!signatureOf(ctx)) {
    throw new HttpError(400, 'missing_signature', 'the Stripe-Signature header is required', 'stripe-signature');
  }
}

function parseJsonOrReject(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(
      400,
      'invalid_json',
      raw.length === 0 ? 'the body is empty' : 'the body is not valid JSON',
      'body',
    );
  }
}

function fieldOf(err: WebhookRejected): string {
  return err.code === 'invalid_json' || err.code === 'invalid_event' ? 'body' : 'stripe-signature';
}

function detailOf(outcome: IntakeOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'ignored':
      return { reason: outcome.reason };
    case 'queued':
      return { customerId: outcome.ref.customerId, refresh: outcome.ref.refresh, duplicate: outcome.duplicate };
    case 'catalog':
      return { duplicate: outcome.duplicate };
    case 'disabled':
      return {};
  }
}
