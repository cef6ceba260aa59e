import type { Pool } from 'pg';
import { getEvents, type RecordedEvent } from '../db/events';
import type { WorkItem } from '../shared/messages';

/**
 * A batch's recorded Stripe events, read from PostgreSQL once per attempt. Settling charges from their payloads,
 * fetching the catalogue objects they name and sending them to Intercom each read them before (a live change, usually
 * one customer with one event, read its event three times). Rows only change here by this attempt's own sends, each
 * sent once, so one read serves every step; a retry is a new attempt and reads afresh.
 */
export class BatchEvents {
  private readonly eventIds: ReadonlySet<string>;
  private read: Promise<Map<string, RecordedEvent>> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly installId: string,
    items: WorkItem[],
  ) {
    this.eventIds = new Set(items.flatMap((item) => item.eventIds));
  }

  /** The recorded events among `eventIds` (all of the batch), in their order. */
  async of(eventIds: string[]): Promise<RecordedEvent[]> {
    const outside = eventIds.find((eventId) => !this.eventIds.has(eventId));
    if (outside) throw new Error(`event ${outside} is not in this batch`);
    if (eventIds.length === 0) return [];
    this.read ??= getEvents(this.pool, this.installId, [...this.eventIds]).then(
      (events) => new Map(events.map((event) => [event.eventId, event])),
    );
    const byId = await this.read;
    return eventIds.flatMap((eventId) => byId.get(eventId) ?? []);
  }

  /** Every recorded event of the batch. */
  all(): Promise<RecordedEvent[]> {
    return this.of([...this.eventIds]);
  }
}
