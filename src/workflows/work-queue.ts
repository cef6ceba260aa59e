import { isLiveChange, type WorkItem } from '../shared/messages';

/**
 * The sync workflow's queue of customers to write, kept deterministic (no I/O) so it can live in workflow state.
 *
 * Rules: at most one pending entry per customer (new work coalesces into it), and a customer whose batch is in
 * flight is not taken again until that batch completes — so one customer never has two writes at once and its
 * work runs in arrival order.
 */
export interface PageAck {
  replyTo: string;
  seq: number;
}

interface PendingPage extends PageAck {
  remaining: number;
}

export interface WorkQueueSnapshot {
  pending: WorkItem[];
  pages: PendingPage[];
  maxDepth: number;
}

export class WorkQueue {
  private readonly pending = new Map<string, WorkItem>();
  private readonly inFlight = new Set<string>();
  private readonly pages = new Map<string, PendingPage>();
  private maxDepthSeen: number;

  constructor(snapshot?: WorkQueueSnapshot) {
    for (const item of snapshot?.pending ?? []) this.pending.set(item.customerId, item);
    for (const page of snapshot?.pages ?? []) this.pages.set(pageKey(page), page);
    this.maxDepthSeen = snapshot?.maxDepth ?? 0;
  }

  add(work: Omit<WorkItem, 'batchKeys'> & { batchKeys?: string[] }): void {
    const existing = this.pending.get(work.customerId);
    if (existing) {
      existing.refresh ||= work.refresh;
      existing.eventIds.push(...work.eventIds.filter((id) => !existing.eventIds.includes(id)));
      existing.batchKeys.push(...(work.batchKeys ?? []));
    } else {
      this.pending.set(work.customerId, {
        ...work,
        eventIds: [...work.eventIds],
        batchKeys: [...(work.batchKeys ?? [])],
      });
    }
    this.maxDepthSeen = Math.max(this.maxDepthSeen, this.depth);
  }

  /** Adds an import page; its acknowledgement is due when every customer in it has been written. */
  addPage(page: PageAck, customerIds: string[]): PageAck | undefined {
    const unique = [...new Set(customerIds)];
    if (unique.length === 0) return page;
    const key = pageKey(page);
    this.pages.set(key, { ...page, remaining: unique.length });
    for (const customerId of unique) this.add({ customerId, refresh: false, eventIds: [], batchKeys: [key] });
    return undefined;
  }

  hasReady(): boolean {
    for (const customerId of this.pending.keys()) if (!this.inFlight.has(customerId)) return true;
    return false;
  }

  /** Whether every customer ready to be taken was brought by an import alone (no Stripe event of its own to write). */
  readyImportOnly(): boolean {
    return !this.hasReadyLive();
  }

  /** Whether a customer with a Stripe event of its own (a live change) is ready to be taken. */
  hasReadyLive(): boolean {
    for (const [customerId, item] of this.pending) {
      if (!this.inFlight.has(customerId) && isLiveChange(item)) return true;
    }
    return false;
  }

  /**
   * Takes up to `max` customers that are not in flight, oldest first, and marks them in flight; `liveOnly`: only those
   * with a Stripe event of their own.
   */
  take(max: number, liveOnly = false): WorkItem[] {
    const taken: WorkItem[] = [];
    for (const [customerId, item] of this.pending) {
      if (taken.length >= max) break;
      if (this.inFlight.has(customerId) || (liveOnly && !isLiveChange(item))) continue;
      this.pending.delete(customerId);
      this.inFlight.add(customerId);
      taken.push(item);
    }
    return taken;
  }

  /** Marks items done; returns the import pages now fully written. */
  complete(items: WorkItem[]): PageAck[] {
    const acks: PageAck[] = [];
    for (const item of items) {
      this.inFlight.delete(item.customerId);
      for (const key of item.batchKeys) {
        const page = this.pages.get(key);
        if (!page) continue;
        page.remaining -= 1;
        if (page.remaining <= 0) {
          this.pages.delete(key);
          acks.push({ replyTo: page.replyTo, seq: page.seq });
        }
      }
    }
    return acks;
  }

  /** Drops everything (the install was disabled). */
  clear(): void {
    this.pending.clear();
    this.pages.clear();
  }

  get depth(): number {
    return this.pending.size + this.inFlight.size;
  }

  /** Customers waiting (some may wait for their in-flight batch to complete). */
  get pendingCount(): number {
    return this.pending.size;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  get maxDepth(): number {
    return this.maxDepthSeen;
  }

  /**
   * A bounded hand-over: only what PostgreSQL cannot give back. Event ids `fromDatabase` accepts are dropped (the next
   * run re-reads them with their customer and refresh flag); an item stays only for its import pages or for the event
   * ids it keeps, and asks for a refresh only with the latter (a refresh owed to a dropped event comes back with it).
   * Call only when nothing is in flight.
   */
  handOverSnapshot(fromDatabase: (eventId: string) => boolean): WorkQueueSnapshot {
    const pending = [...this.pending.values()].flatMap((item) => {
      const eventIds = item.eventIds.filter((id) => !fromDatabase(id));
      if (eventIds.length === 0 && item.batchKeys.length === 0) return [];
      return [{ ...item, eventIds, refresh: item.refresh && eventIds.length > 0 }];
    });
    return { pending, pages: [...this.pages.values()], maxDepth: this.maxDepthSeen };
  }

  /** State to carry across continue-as-new; call only when nothing is in flight. */
  snapshot(): WorkQueueSnapshot {
    return { pending: [...this.pending.values()], pages: [...this.pages.values()], maxDepth: this.maxDepthSeen };
  }
}

function pageKey(page: PageAck): string {
  return `${page.replyTo}#${page.seq}`;
}
