import type { Pool } from 'pg';
import { clearFailures, recordFailure } from '../db/failures';
import { markEventsProcessed } from '../db/events';
import type { SyncCounters, WorkItem } from '../shared/messages';

/**
 * The batch's per-customer failures: what no retry can fix (Intercom rejecting a contact, Stripe data the mapping
 * cannot handle) is recorded against its customers, and cleared once they are written again.
 */
export class WriteFailures {
  /** The batch's customers with a failure recorded, read under the locks; null: not read, ask each time. */
  private failing: Set<string> | null = null;
  /** The last failure recorded (the batch reports it as the sync's last error). */
  last: string | null = null;

  constructor(
    private readonly installId: string,
    private readonly pool: Pool,
    private readonly counters: SyncCounters,
  ) {}

  /** What the batch read under its locks: which of its customers have failures recorded. */
  readUnderLocks(failing: Set<string>): void {
    this.failing = failing;
  }

  /**
   * Records every customer of the group as failed with `reason` (shown by `GET /installs/:id/failures` and as the
   * sync's last error), its events settled as failed: retried only by a later change, a resync or reconcile --fix.
   */
  async record(group: { items: WorkItem[] }, reason: string, code: string | null): Promise<void> {
    this.counters.failed += 1;
    this.last = reason;
    for (const item of group.items) {
      this.failing?.add(item.customerId);
      await recordFailure(this.pool, this.installId, { customerId: item.customerId, reason, code });
      await markEventsProcessed(this.pool, this.installId, item.eventIds, 'failed', reason);
    }
  }

  /** The customers were written: their recorded failures (if any) are over. */
  async clear(customerIds: string[]): Promise<void> {
    if (this.failing === null || customerIds.some((customerId) => this.failing?.has(customerId))) {
      await clearFailures(this.pool, this.installId, customerIds);
    }
  }
}
