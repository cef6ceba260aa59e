import type Stripe from 'stripe';
import type { Pool } from 'pg';
import { SUBSCRIBED_EVENT_TYPES, eventAtPinnedVersion } from '../mapping';
import { markEventsProcessed, newestEventCreated } from '../db/events';
import { latestImport } from '../db/imports';
import { setInstallStatus, type Install } from '../db/installs';
import type { InstallWorkflows } from '../temporal-client/workflows';
import type { StripeEventRef } from '../shared/messages';
import { disableInstallFromStripe, recordForInstall } from '../webhooks/intake';
import { eventIdsStillReceived } from '../db/events';

/**
 * The Events API lists 30 days back (https://docs.stripe.com/api/events/list): a gap older than that cannot be listed,
 * only rebuilt by a resync.
 */
export const STRIPE_EVENT_RETENTION_SECONDS = 30 * 86_400;
/** Margin inside the retention window, so an event about to expire is not counted on. */
const RETENTION_MARGIN_SECONDS = 3_600;
/**
 * Listing starts this long before the last point known to be complete: webhooks arrive out of order, so an event a
 * little older than the newest recorded one may still be missing. Re-listed events are recorded once, so it is cheap.
 */
export const CATCH_UP_OVERLAP_SECONDS = 15 * 60;
/** Stripe's limit on `types` per list call. */
const TYPES_PER_LIST = 20;
const PAGE_SIZE = 100;

export interface CatchUpOptions {
  /** `caughtUpTo` of this install's previous catch-up (unix seconds), when the caller keeps it. */
  since?: number | null;
  now?: Date;
  /** Called after each Stripe page (an activity heartbeats here). */
  onPage?: () => void;
}

export interface CatchUpOutcome {
  /** Events to hand to the sync workflow, oldest first: newly recorded ones and recorded ones not yet processed. */
  refs: StripeEventRef[];
  /** Events this run added to the log. */
  recorded: number;
  /** Events may be missing beyond Stripe's 30 days and no import covers the gap: rebuild the state with a resync. */
  resyncNeeded: boolean;
  /** Stripe reported the app uninstalled; the install is now disabled and nothing is to be synced. */
  disabled: boolean;
  /** Everything created before this instant (unix seconds) has been listed: pass it as `since` next time. */
  caughtUpTo: number;
}

interface Listed {
  ref: StripeEventRef;
  created: number;
  listed: number;
}

export interface CatchUpDeps {
  pool: Pool;
  /** Absent: a deauthorization found while catching up only sets the status; the caller stops its workflow. */
  workflows?: InstallWorkflows;
  temporalTimeoutMs?: number;
}

/**
 * Lists the install's Stripe events since the last point known to be complete and records the ones missing from the
 * event log (source `catch-up`), through the same classification as the webhook route. Stripe reads: one list call
 * per 20 subscribed types per 100 events.
 */
export async function catchUpInstall(
  deps: CatchUpDeps,
  install: Install,
  stripe: Stripe,
  options: CatchUpOptions = {},
): Promise<CatchUpOutcome> {
  const { pool } = deps;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const idle: CatchUpOutcome = { refs: [], recorded: 0, resyncNeeded: false, disabled: false, caughtUpTo: now };
  // A failed install's key is rejected anyway; it is repaired (and caught up) through a resync.
  if (install.status === 'disabled' || install.status === 'failed') {
    return { ...idle, disabled: install.status === 'disabled', caughtUpTo: options.since ?? now };
  }

  const { knownUpTo, resyncNeeded } = await completeness(pool, install, options.since ?? null, now);
  // Events from before the install are reflected by its import; their data events are not ours to add.
  const listFrom = Math.max(knownUpTo - CATCH_UP_OVERLAP_SECONDS, seconds(install.createdAt));
  // `listed` numbers events in Stripe's order (newest first), to order events of one second within a type group.
  const fresh: Listed[] = [];
  const seen: Listed[] = [];
  let listed = 0;
  let recorded = 0;

  for (let at = 0; at < SUBSCRIBED_EVENT_TYPES.length; at += TYPES_PER_LIST) {
    const types = SUBSCRIBED_EVENT_TYPES.slice(at, at + TYPES_PER_LIST);
    let startingAfter: string | undefined;
    for (;;) {
      const page = await stripe.events.list({
        created: { gte: listFrom },
        types: [...types],
        limit: PAGE_SIZE,
        ...(startingAfter && { starting_after: startingAfter }),
      });
      for (const event of page.data) {
        listed += 1;
        // Listed events come at the API version of their creation, maybe older than the one the mapping reads.
        const outcome = await recordForInstall(pool, install, eventAtPinnedVersion(event), 'catch-up');
        if ('recorded' in outcome && outcome.recorded) recorded += 1;
        if (outcome.kind === 'deauthorize') {
          await disable(deps, install.id, event.id);
          return { ...idle, recorded, disabled: true };
        }
        if (outcome.kind === 'customer') {
          (outcome.recorded ? fresh : seen).push({ ref: outcome.ref, created: event.created, listed });
        }
      }
      options.onPage?.();
      const last = page.data.at(-1);
      if (!page.has_more || !last) break;
      startingAfter = last.id;
    }
  }

  const pending = await eventIdsStillReceived(
    pool,
    install.id,
    seen.map(({ ref }) => ref.eventId),
  );
  const refs = [...fresh, ...seen.filter(({ ref }) => pending.has(ref.eventId))]
    // Oldest first, so the workflow queues each customer's events in the order they happened. Within a second,
    // Stripe's order holds inside one type group only; across groups the order is arbitrary, which is harmless:
    // attributes are re-read from current state and each data event carries its own time.
    .sort((a, b) => a.created - b.created || b.listed - a.listed)
    .map(({ ref }) => ref);
  return { refs, recorded, resyncNeeded, disabled: false, caughtUpTo: now };
}

/**
 * Up to when the event log is known to be complete, and whether a gap may reach beyond Stripe's retention.
 *
 * Known complete up to the newest of: the newest recorded event, the previous catch-up, the install's creation
 * (nothing before it is ours to sync). A gap older than the retention is harmless when an import (running or done)
 * started after it began, since an import reads current state.
 */
async function completeness(
  pool: Pool,
  install: Install,
  since: number | null,
  now: number,
): Promise<{ knownUpTo: number; resyncNeeded: boolean }> {
  const [newest, lastImport] = await Promise.all([
    newestEventCreated(pool, install.id),
    latestImport(pool, install.id),
  ]);
  const knownUpTo = Math.max(newest ? seconds(newest) : 0, since ?? 0, seconds(install.createdAt));
  const importStarted =
    lastImport && (lastImport.status === 'running' || lastImport.status === 'completed')
      ? seconds(lastImport.startedAt)
      : 0;
  const oldestListable = now - STRIPE_EVENT_RETENTION_SECONDS + RETENTION_MARGIN_SECONDS;
  return { knownUpTo, resyncNeeded: Math.max(knownUpTo, importStarted) < oldestListable };
}

function seconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

async function disable(deps: CatchUpDeps, installId: string, eventId: string): Promise<void> {
  if (deps.workflows) {
    await disableInstallFromStripe(deps.pool, deps.workflows, installId, eventId, deps.temporalTimeoutMs ?? 10_000);
    return;
  }
  await setInstallStatus(
    deps.pool,
    installId,
    'disabled',
    'uninstalled from Stripe (account.application.deauthorized)',
  );
  await markEventsProcessed(deps.pool, installId, [eventId]);
}
