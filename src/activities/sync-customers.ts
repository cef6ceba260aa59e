import { activityInfo, heartbeat } from '@temporalio/activity';
import type { Pool } from 'pg';
import { attributeDefinitions } from '../mapping';
import { markAttributesReady, setInstallStatus } from '../db/installs';
import { markEventsProcessed } from '../db/events';
import { mirroredCustomerIds } from '../db/mirror';
import { emptyCounters } from '../shared/counters';
import type { SyncCounters } from '../shared/messages';
import type { WorkItem } from '../workflows/work-queue';
import type { InstallContexts } from './install-context';
import { ContactWriter } from './contact-writer';
import { fillCatalogForEvents, refreshCustomers } from './stripe-refresh';
import { forEachLimit } from './concurrency';
import { installFailure, INSTALL_FAILED, withFailureMapping } from './failures';
import { InstallStopped } from './intercom-gateway';
import { ApplicationFailure } from '@temporalio/activity';

/** Contacts written at once within one batch: enough to hide Intercom's latency, few enough to share the rate. */
const CONTACT_WRITES_IN_PARALLEL = 5;

export interface SyncBatchResult {
  counters: SyncCounters;
  lastError: string | null;
}

export function createSyncActivities(deps: { pool: Pool; contexts: InstallContexts }) {
  const { pool, contexts } = deps;

  /** Makes sure every attribute the install writes exists in Intercom with its type, before the first write. */
  async function prepareInstall(input: { installId: string }): Promise<void> {
    await withFailureMapping(async () => {
      const { install, intercom } = await contexts.load(input.installId);
      if (install.status === 'disabled' || install.attributesReadyAt) return;
      const wanted = attributeDefinitions(install.attributePrefix, install.metadataAttributes);
      const existing = await intercom.listContactAttributes();
      const clashes = wanted.filter((attribute) => {
        const found = existing.get(attribute.name);
        return found && found.type !== attribute.type;
      });
      if (clashes.length > 0) {
        const detail = clashes
          .map((attribute) => `${attribute.name} is ${existing.get(attribute.name)?.type}, expected ${attribute.type}`)
          .join('; ');
        const message = `Intercom attributes exist with other types: ${detail}`;
        await setInstallStatus(pool, install.id, 'failed', message);
        throw installFailure(message);
      }
      for (const attribute of wanted) {
        if (!existing.has(attribute.name)) {
          await intercom.createContactAttribute(attribute.name, attribute.type, attribute.description);
        }
      }
      await markAttributesReady(pool, install.id);
    }).catch(failInstallOn(input.installId));
  }

  /** A failure no retry can fix (Intercom refused the token, …) fails the install, with its reason on the status. */
  function failInstallOn(installId: string) {
    return async (err: unknown): Promise<never> => {
      if (err instanceof ApplicationFailure && err.type === INSTALL_FAILED) {
        await setInstallStatus(pool, installId, 'failed', err.message);
      }
      throw err;
    };
  }

  /**
   * Writes a batch of customers: re-reads from Stripe those whose events may have changed them, then writes each
   * contact whose attributes changed, then the data events. Safe to retry: unchanged contacts cost no call.
   */
  async function syncCustomers(input: { installId: string; items: WorkItem[] }): Promise<SyncBatchResult> {
    return withFailureMapping(async () => {
      const counters = emptyCounters();
      const context = await contexts.load(input.installId, () => heartbeat());
      const { install } = context;
      if (install.status === 'disabled' || install.status === 'failed') {
        const eventIds = input.items.flatMap((item) => item.eventIds);
        await markEventsProcessed(pool, install.id, eventIds, 'failed', `install ${install.status}`);
        return { counters, lastError: null };
      }
      // A customer the mirror has never seen is read too: a data-only event (invoice.created) can overtake the
      // customer's own events or the import, and without its customer it would be dropped for want of a contact.
      const unrefreshed = input.items.filter((item) => !item.refresh).map((item) => item.customerId);
      const mirrored = unrefreshed.length > 0 ? await mirroredCustomerIds(pool, install.id, unrefreshed) : new Set();
      const refreshIds = input.items
        .filter((item) => item.refresh || !mirrored.has(item.customerId))
        .map((item) => item.customerId);
      await refreshCustomers(context.stripe, pool, install.id, refreshIds, () => heartbeat());
      counters.refreshed = refreshIds.length;
      await fillCatalogForEvents(
        context.stripe,
        pool,
        install.id,
        input.items.flatMap((item) => item.eventIds),
      );

      // A retry may meet contacts its killed or timed-out predecessor created: they are ours, not matched users.
      const info = activityInfo();
      const earlierAttemptsSince = info.attempt > 1 ? new Date(info.scheduledTimestampMs) : null;
      const writer = new ContactWriter(install, context.intercom, pool, counters, undefined, earlierAttemptsSince);
      let stopped = false;
      try {
        const groups = await writer.plan(input.items);
        await forEachLimit(groups, CONTACT_WRITES_IN_PARALLEL, async (group) => {
          if (stopped) return;
          await writer.write(group).catch((err: unknown) => {
            stopped ||= err instanceof InstallStopped;
            throw err;
          });
          heartbeat();
        });
      } catch (err) {
        // Disabled while the batch ran: the rest of it is dropped, as the workflow drops its queue.
        if (!(err instanceof InstallStopped)) throw err;
      }
      return { counters, lastError: null };
    }).catch(failInstallOn(input.installId));
  }

  return { prepareInstall, syncCustomers };
}
