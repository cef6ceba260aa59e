import { activityInfo } from '@temporalio/activity';
import type { Pool } from 'pg';
import { attributeDefinitions } from '../mapping';
import { failInstallWithCredentials, markAttributesReady, type Install } from '../db/installs';
import { markEventsProcessed } from '../db/events';
import { asLiveWork } from '../shared/live-work';
import { mirroredCustomerIds } from '../db/mirror';
import { emptyCounters } from '../shared/counters';
import { isLiveChange, type SyncCounters, type WorkItem } from '../shared/messages';
import type { InstallContexts } from './install-context';
import { ContactWriter } from './contact-writer';
import { BatchEvents } from './batch-events';
import { fillCatalogForEvents, rereadCustomers } from './stripe-reread';
import { settleChargeOnlyCustomers } from './charge-events';
import { forEachLimit } from './concurrency';
import { dependencyOf, heartbeatUnlessLocal, installFailure, INSTALL_FAILED, withFailureMapping } from './failures';
import { InstallStopped, IntercomRejected, type IntercomGateway } from './intercom-gateway';
import { attributeSetKey, planAttributes } from './attribute-plan';
import { SYNC_BATCH_SIZE } from '../workflows/constants';
import { ApplicationFailure } from '@temporalio/activity';

/** Attempt of a batch from which an error that no dependency explains fails its customer instead of the batch. */
const ISOLATE_UNEXPLAINED_FROM_ATTEMPT = 3;

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Contacts written at once within one batch: all of them. The workspace's InFlightLimiter decides how many Intercom
 * calls run (from measured latency and the rate budget); the batches only have to offer it enough work (at 150 ms a
 * call, Intercom's 10,000/min needs about 26 calls in flight; 6 batches of 30 offer 180). A batch's queries run on the
 * main pool, its locks held on the lock pool (ContactWriter.withLocks), and the status read before each Intercom call
 * is shared by the calls starting together (InstallContexts), so the pool is not starved.
 */
export const CONTACT_WRITES_IN_PARALLEL = SYNC_BATCH_SIZE;

/**
 * Attributes created at once for an install's first write (about 27 for a new workspace, so two rounds): one after
 * another they took 27 round trips (4 s at 150 ms) before anything was written, six at a time five (0.95 s of a
 * 20-customer install's 2.6 s alone). Within what the workspace's Intercom in-flight limiter allows once its first
 * answer came (16, intercom-in-flight.ts), and far within Intercom's rate limit.
 */
const ATTRIBUTE_CREATES_IN_PARALLEL = 14;

/** What a syncCustomers attempt has done so far, in its heartbeat details (kept by Temporal for the next attempt). */
interface RefreshProgress {
  refreshed: string[];
}

function refreshedByEarlierAttempts(): string[] {
  const details = activityInfo().heartbeatDetails as Partial<RefreshProgress> | undefined;
  return Array.isArray(details?.refreshed) ? details.refreshed.filter((id) => typeof id === 'string') : [];
}

/** The install row an activity read, with the credentials its calls used (unset until read). */
interface LoadedInstall {
  install?: Install;
}

export interface SyncBatchResult {
  counters: SyncCounters;
  lastError: string | null;
}

export function createSyncActivities(deps: { pool: Pool; lockPool: Pool; contexts: InstallContexts }) {
  const { pool, lockPool, contexts } = deps;

  /** Makes sure every attribute the install writes exists in Intercom with its type, before the first write. */
  async function prepareInstall(input: { installId: string }): Promise<void> {
    const loaded: LoadedInstall = {};
    await withFailureMapping(async () => {
      const { install, intercom } = await contexts.load(input.installId);
      loaded.install = install;
      if (install.status === 'disabled') return;
      await ensureAttributes(install, intercom);
    }).catch(failInstallOn(loaded));
  }

  /**
   * Creates the attributes the install writes that Intercom lacks, unless this attribute set was made ready before.
   * Also run by every batch: a sync run prepares its install once, when it starts, and a run started by an older
   * release goes on under the code deployed since, whose new attributes Intercom would refuse ("Custom attribute …
   * does not exist") until the run's next continue-as-new. One read of the install's row when nothing is missing.
   */
  async function ensureAttributes(install: Install, intercom: IntercomGateway): Promise<void> {
    const wanted = attributeDefinitions(install.attributePrefix, install.metadataAttributes);
    const attributeSet = attributeSetKey(wanted);
    if (install.attributesReadyFor === attributeSet) return;
    const { missing, refusals } = planAttributes(wanted, await intercom.listContactAttributes());
    if (refusals.length > 0) throw installFailure(`Intercom would refuse the attributes: ${refusals.join('; ')}`);
    await forEachLimit(missing, ATTRIBUTE_CREATES_IN_PARALLEL, async (attribute) => {
      try {
        await intercom.createContactAttribute(attribute.name, attribute.type, attribute.description);
      } catch (err) {
        if (!(err instanceof IntercomRejected)) throw err;
        // Created meanwhile by an overlapping attempt of this activity: nothing is wrong.
        const recheck = planAttributes([attribute], await intercom.listContactAttributes());
        if (recheck.missing.length === 0 && recheck.refusals.length === 0) return;
        // Otherwise a rule the plan did not foresee: a 4xx cannot pass on a retry, so fail visibly instead.
        throw installFailure(`Intercom refused to create the attribute ${attribute.name}: ${err.message}`);
      }
    });
    await markAttributesReady(pool, install.id, attributeSet);
  }

  /**
   * A failure no retry can fix (Intercom refused the token, …) fails the install, with its reason on the status, if
   * the credentials it was found with are still the install's. A failure while loading them needs no write here: a
   * grant Stripe refuses fails its installs as it is refused, and a missing or disabled install has nothing to fail.
   */
  function failInstallOn(loaded: LoadedInstall) {
    return async (err: unknown): Promise<never> => {
      if (err instanceof ApplicationFailure && err.type === INSTALL_FAILED && loaded.install) {
        await failInstallWithCredentials(pool, loaded.install, err.message);
      }
      throw err;
    };
  }

  /**
   * Writes a batch of customers: re-reads from Stripe those whose events may have changed them, then writes each
   * contact whose attributes changed, then the data events. Safe to retry: unchanged contacts cost no call.
   */
  async function syncCustomers(input: { installId: string; items: WorkItem[] }): Promise<SyncBatchResult> {
    // Customers whose Stripe state an earlier attempt already brought into the mirror: a retry (after a 429, say)
    // reads only the rest.
    const progress: RefreshProgress = { refreshed: refreshedByEarlierAttempts() };
    const loaded: LoadedInstall = {};
    return withFailureMapping(
      async () => {
        const counters = emptyCounters();
        const context = await contexts.load(input.installId, () => heartbeatUnlessLocal(progress));
        const { install } = context;
        loaded.install = install;
        if (install.status === 'disabled' || install.status === 'failed') {
          const eventIds = input.items.flatMap((item) => item.eventIds);
          await markEventsProcessed(pool, install.id, eventIds, 'failed', `install ${install.status}`);
          return { counters, lastError: null };
        }
        await ensureAttributes(install, context.intercom);
        // A customer the mirror has never seen is read too: a data-only event (invoice.created) can overtake the
        // customer's own events or the import, and without its customer it would be dropped for want of a contact.
        const done = new Set(progress.refreshed);
        const pending = input.items.filter((item) => !done.has(item.customerId));
        const unrefreshed = pending.filter((item) => !item.refresh).map((item) => item.customerId);
        const mirrored = unrefreshed.length > 0 ? await mirroredCustomerIds(pool, install.id, unrefreshed) : new Set();
        const events = new BatchEvents(pool, install.id, input.items);
        const settledByEvents = await settleChargeOnlyCustomers(pool, install.id, pending, events);
        const recordProgress = (customerId: string) => progress.refreshed.push(customerId);
        settledByEvents.forEach(recordProgress);
        const refreshIds = pending
          .filter((item) => (item.refresh ? !settledByEvents.has(item.customerId) : !mirrored.has(item.customerId)))
          .map((item) => item.customerId);
        await rereadCustomers(context.stripe, pool, install.id, refreshIds, recordProgress);
        counters.refreshed = refreshIds.length;
        await fillCatalogForEvents(context.stripe, pool, install.id, events);

        const writer = new ContactWriter(install, context.intercom, { pool, lockPool }, counters, events);
        // From this attempt on, an error no dependency explains is taken as the customer's own (a bug or data the code
        // cannot handle): recorded against it, so the batch ends and every other customer keeps flowing.
        const isolateUnexplained = activityInfo().attempt >= ISOLATE_UNEXPLAINED_FROM_ATTEMPT;
        let stopped = false;
        try {
          const groups = await writer.plan(input.items);
          await writer.withLocks(groups, (buckets) =>
            forEachLimit(buckets, CONTACT_WRITES_IN_PARALLEL, async (bucket) => {
              for (const group of bucket) {
                if (stopped) return;
                await writer.write(group).catch(async (err: unknown) => {
                  stopped ||= err instanceof InstallStopped;
                  if (!isolateUnexplained || stopped || dependencyOf(err) !== null) throw err;
                  const reason = `gave up after ${ISOLATE_UNEXPLAINED_FROM_ATTEMPT} attempts: ${errorMessage(err)}`;
                  await writer.recordGroupFailure(group, reason, 'unexpected_error');
                });
              }
            }),
          );
        } catch (err) {
          // Disabled while the batch ran: the rest of it is dropped, as the workflow drops its queue.
          if (!(err instanceof InstallStopped)) throw err;
        }
        return { counters, lastError: writer.lastFailure };
      },
      () => progress,
    ).catch(failInstallOn(loaded));
  }

  /**
   * A batch carrying a Stripe event is a change someone is waiting for: its queries, Stripe reads and Intercom calls go
   * ahead of an import's (live-work.ts).
   */
  function syncCustomersLiveFirst(input: { installId: string; items: WorkItem[] }): Promise<SyncBatchResult> {
    return input.items.some(isLiveChange) ? asLiveWork(() => syncCustomers(input)) : syncCustomers(input);
  }

  return { prepareInstall, syncCustomers: syncCustomersLiveFirst };
}
