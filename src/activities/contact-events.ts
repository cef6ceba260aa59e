import type { Pool } from 'pg';
import { dataEventFor, type DataEvent } from '../mapping';
import { markEventsProcessed, markIntercomEventSent } from '../db/events';
import { UNMAPPABLE_EVENT } from '../db/failures';
import { reserveEventTime } from '../db/intercom-event-times';
import type { SyncCounters, WorkItem } from '../shared/messages';
import type { ContactGateway } from './intercom-gateway';
import { unmappableReason, type CatalogCache } from './contact-fields';
import type { WriteFailures } from './contact-write-failures';
import type { BatchEvents } from './batch-events';

/** Sends a customer's Stripe events to its contact as Intercom data events, each once, then settles them. */
export async function sendContactEvents(
  deps: {
    installId: string;
    pool: Pool;
    intercom: ContactGateway;
    catalogs: CatalogCache;
    counters: SyncCounters;
    failures: WriteFailures;
    events: BatchEvents;
  },
  contactId: string | null,
  item: WorkItem,
): Promise<void> {
  if (item.eventIds.length === 0) return;
  const { installId, pool } = deps;
  const events = await deps.events.of(item.eventIds);
  const unmappable: string[] = [];
  for (const event of events) {
    if (event.intercomEventAt || !contactId) continue;
    const catalog = await deps.catalogs.eventCatalog(event.payload);
    let dataEvent: DataEvent | null;
    try {
      dataEvent = dataEventFor(event.payload, { catalog });
    } catch (err) {
      const reason = unmappableReason(`event ${event.eventId} (${event.type})`, err);
      await deps.failures.record({ items: [{ ...item, eventIds: [event.eventId] }] }, reason, UNMAPPABLE_EVENT);
      unmappable.push(event.eventId);
      continue;
    }
    if (!dataEvent) continue;
    // Intercom keeps one event per (contact, name, created_at): a second same-type event in the same second moves on.
    const createdAt = await reserveEventTime(pool, installId, {
      eventId: event.eventId,
      contactId,
      eventName: dataEvent.event_name,
      createdAt: dataEvent.created_at,
    });
    await deps.intercom.sendEvent({ contactId, name: dataEvent.event_name, createdAt, metadata: dataEvent.metadata });
    await markIntercomEventSent(pool, installId, event.eventId);
    deps.counters.eventsSent += 1;
  }
  await markEventsProcessed(
    pool,
    installId,
    item.eventIds.filter((eventId) => !unmappable.includes(eventId)),
  );
}
