import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Work someone waits for (a live change, due in Intercom within seconds of its webhook) runs inside `asLiveWork`. The
 * queues it passes on its way (a worker's database pools, the Stripe pacer, the Intercom in-flight limiter) serve it
 * ahead of other work (an import's batches), however long that waited. The mark lives on the async context, as
 * Temporal's own activity context does, so it reaches every call the work makes without being passed along.
 * Not for workflow code (Node's async_hooks): the workflow says what is live with `isLiveChange` (messages.ts).
 */
const liveWork = new AsyncLocalStorage<true>();

export function asLiveWork<T>(work: () => Promise<T>): Promise<T> {
  return liveWork.run(true, work);
}

export function isLiveWork(): boolean {
  return liveWork.getStore() === true;
}

/** Waiters served live work first (asLiveWork when they queued), each lane in arrival order. */
export class LiveFirstQueue<T> {
  private readonly live: T[] = [];
  private readonly other: T[] = [];

  /** Queues `waiter` in the lane of the work running now. */
  push(waiter: T): void {
    (isLiveWork() ? this.live : this.other).push(waiter);
  }

  shift(): T | undefined {
    return this.live.shift() ?? this.other.shift();
  }

  remove(waiter: T): void {
    for (const lane of [this.live, this.other]) {
      const index = lane.indexOf(waiter);
      if (index >= 0) lane.splice(index, 1);
    }
  }

  get size(): number {
    return this.live.length + this.other.length;
  }

  get sizes(): { live: number; other: number } {
    return { live: this.live.length, other: this.other.length };
  }
}
