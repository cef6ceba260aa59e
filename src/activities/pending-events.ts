import type { Pool } from 'pg';
import { pendingEventRefs, type PendingEventsCursor } from '../db/events';
import type { StripeEventRef } from '../shared/messages';

export interface PendingEventsPage {
  refs: StripeEventRef[];
  /** Pass as `after` for the next page; null once this was the last. */
  next: PendingEventsCursor | null;
}

export function createPendingEventActivities(deps: { pool: Pool }) {
  /**
   * A page of the install's recorded, unprocessed customer events: the work a sync run hands over through
   * PostgreSQL rather than in its continue-as-new input. The workflow picks the page size (its history's budget).
   */
  async function pendingEvents(input: {
    installId: string;
    after: PendingEventsCursor | null;
    limit: number;
  }): Promise<PendingEventsPage> {
    return pendingEventRefs(deps.pool, input.installId, input.after, input.limit);
  }

  return { pendingEvents };
}
