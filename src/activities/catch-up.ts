import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Pool } from 'pg';
import type Stripe from 'stripe';
import type { InstallWorkflows } from '../temporal-client/workflows';
import { listInstallsByStatus } from '../db/installs';
import { unlessLockedElsewhere } from '../db/locks';
import type { Logger } from '../logger';
import type { StripeEventRef } from '../shared/messages';
import { catchUpInstall, type CatchUpOutcome } from '../catch-up/catch-up';
import { requestInstallResync, type ResyncRequest } from '../catch-up/resync';
import { subscribeToMissingEventTypes } from '../webhooks/webhook-endpoints';
import { planMappingUpgrade } from '../catch-up/mapping-upgrade';
import type { Install } from '../db/installs';
import type { InstallContexts } from './install-context';
import { withFailureMapping } from './failures';
import { signalStaleOutboxRows } from '../webhooks/outbox-relay';

/**
 * Webhook events still in the signal outbox after this long were left by a relay that is not running (no API process,
 * or one that crashed): catch-up signals them. Younger ones are the relays' to hand over.
 */
export const STALE_OUTBOX_MS = 60_000;

/**
 * Refs returned to the workflow at most; beyond it they are signalled in chunks instead, keeping the activity result
 * (and the history event holding it) well under Temporal's 512 KB payload warning. About 90 bytes per ref.
 */
export const MAX_RETURNED_REFS = 1_000;
/** Refs per signal when signalling directly. */
const SIGNAL_CHUNK = 500;

export interface CatchUpInput {
  installId: string;
  /** `caughtUpTo` from the previous catch-up of this install, carried by the workflow. */
  since?: number | null;
}

export interface CatchUpResult {
  /** For the workflow to enqueue, oldest first (empty when they were signalled instead, see `signalled`). */
  refs: StripeEventRef[];
  resyncNeeded: boolean;
  /** Events added to the event log by this run. */
  recorded: number;
  /** Refs sent with signals rather than returned (more than MAX_RETURNED_REFS). */
  signalled: number;
  /** The install was uninstalled from Stripe's side: the workflow should stop. */
  disabled: boolean;
  /** Pass as `since` next time (unix seconds). */
  caughtUpTo: number;
}

export interface CatchUpActivityDeps {
  pool: Pool;
  contexts: InstallContexts;
  /** Needed by requestResync, for large catch-ups (signalled) and to stop the workflows on a deauthorization. */
  workflows?: InstallWorkflows;
}

export function createCatchUpActivities(deps: CatchUpActivityDeps) {
  const { pool, contexts, workflows } = deps;

  /** Records the install's Stripe events missed since the last known-complete point; see src/catch-up/catch-up.ts. */
  async function catchUpEvents(input: CatchUpInput): Promise<CatchUpResult> {
    return withFailureMapping(async () => {
      const { install, stripe } = await contexts.load(input.installId);
      if (workflows) await signalStaleOutboxRows({ pool, workflows }, install.id, STALE_OUTBOX_MS);
      const outcome = await catchUpInstall({ pool, workflows }, install, stripe, {
        since: input.since ?? null,
        onPage: () => heartbeat(),
      });
      return handOver(await withMappingUpgrade(pool, install, outcome), install.id, workflows);
    });
  }

  /** Starts a resync (new import id and imports row), or reports the import already running. */
  async function requestResync(input: { installId: string }): Promise<ResyncRequest> {
    if (!workflows) {
      throw ApplicationFailure.nonRetryable('requestResync needs InstallWorkflows in createCatchUpActivities');
    }
    return requestInstallResync(pool, workflows, input.installId);
  }

  return { catchUpEvents, requestResync };
}

/**
 * The catch-up's outcome plus what rewrites the contacts another mapping version wrote (events/mapping-upgrade.ts):
 * their customers as refs after the events, or a resync.
 */
async function withMappingUpgrade(pool: Pool, install: Install, outcome: CatchUpOutcome): Promise<CatchUpOutcome> {
  if (outcome.disabled) return outcome;
  const upgrade = await planMappingUpgrade(pool, install);
  return {
    ...outcome,
    refs: [...outcome.refs, ...upgrade.refs],
    resyncNeeded: outcome.resyncNeeded || upgrade.resyncNeeded,
  };
}

async function handOver(
  outcome: CatchUpOutcome,
  installId: string,
  workflows: InstallWorkflows | undefined,
): Promise<CatchUpResult> {
  const { refs, ...rest } = outcome;
  if (refs.length <= MAX_RETURNED_REFS || !workflows) return { ...rest, refs, signalled: 0 };
  await signalInChunks(workflows, installId, refs);
  return { ...rest, refs: [], signalled: refs.length };
}

async function signalInChunks(workflows: InstallWorkflows, installId: string, refs: StripeEventRef[]): Promise<void> {
  for (let at = 0; at < refs.length; at += SIGNAL_CHUNK) {
    await workflows.signalEvents(installId, refs.slice(at, at + SIGNAL_CHUNK));
  }
}

/**
 * After an upgrade that handles more event types, the install's endpoint is subscribed to them (until then catch-up
 * lists them every 6 hours). A failure (the endpoint deleted in the Dashboard) is logged and changes nothing else.
 */
async function subscribeEndpoint(stripe: Stripe, endpointId: string, installId: string, logger: Logger) {
  try {
    const added = await subscribeToMissingEventTypes(stripe, endpointId);
    if (added.length > 0)
      logger.info({ installId, endpointId, added }, 'webhook endpoint subscribed to new event types');
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    logger.warn({ installId, endpointId, err: error }, 'could not subscribe the webhook endpoint to new event types');
  }
}

export interface CatchUpAllDeps {
  pool: Pool;
  contexts: InstallContexts;
  workflows: InstallWorkflows;
  logger: Logger;
}

/** The advisory lock a worker holds while it catches up every install at its start. */
export const CATCH_UP_AT_START_LOCK = 'catch-up-every-install-at-worker-start';

/**
 * catchUpAllInstalls, unless another worker is doing it now (null then): workers started together, as a deploy or a
 * scale-up starts them, would each read every install's events from Stripe and signal the same refs. One pass covers
 * every install: those that turn live later have just imported; one whose pass dies with its worker is caught up by
 * its sync workflow's own periodic catch-up.
 */
export async function catchUpAllInstallsOnce(
  deps: CatchUpAllDeps & { lockPool: Pool },
): Promise<InstallCatchUp[] | null> {
  return unlessLockedElsewhere(deps.lockPool, CATCH_UP_AT_START_LOCK, () => catchUpAllInstalls(deps));
}

export interface InstallCatchUp {
  installId: string;
  recorded: number;
  signalled: number;
  resync: ResyncRequest | null;
  disabled: boolean;
  error?: string;
}

/**
 * At worker start: catches up every live or importing install (events missed while nothing was running), signals
 * what it found to each sync workflow and starts a resync where the gap exceeds Stripe's 30 days. One install
 * failing (revoked key, Stripe down) is logged and does not stop the others. Not an activity: call it once the
 * worker runs, without awaiting it before the worker starts.
 */
export async function catchUpAllInstalls(deps: CatchUpAllDeps): Promise<InstallCatchUp[]> {
  const { pool, contexts, workflows, logger } = deps;
  const results: InstallCatchUp[] = [];
  for (const { id: installId } of await listInstallsByStatus(pool, ['live', 'importing'])) {
    try {
      const { install, stripe } = await contexts.load(installId);
      const outboxSignalled = await signalStaleOutboxRows({ pool, workflows }, installId, STALE_OUTBOX_MS);
      if (outboxSignalled > 0)
        logger.info({ installId, outboxSignalled }, 'signalled webhook events left in the outbox');
      const outcome = await withMappingUpgrade(
        pool,
        install,
        await catchUpInstall({ pool, workflows }, install, stripe),
      );
      await signalInChunks(workflows, installId, outcome.refs);
      if (install.webhookEndpointId && !outcome.disabled) {
        await subscribeEndpoint(stripe, install.webhookEndpointId, installId, logger);
      }
      const resync = outcome.resyncNeeded ? await requestInstallResync(pool, workflows, installId) : null;
      const result = {
        installId,
        recorded: outcome.recorded,
        signalled: outcome.refs.length,
        resync,
        disabled: outcome.disabled,
      };
      logger.info(result, 'caught up on Stripe events');
      results.push(result);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      logger.warn({ installId, err: error }, 'catch-up of Stripe events failed');
      results.push({ installId, recorded: 0, signalled: 0, resync: null, disabled: false, error });
    }
  }
  return results;
}
