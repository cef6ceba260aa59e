import type { StripeEventRef } from '../shared/messages';

/** Refs carried by one signal at most: a few KB of payload, well under Temporal's limits. */
const MAX_REFS_PER_SIGNAL = 100;

interface Waiter {
  ref: StripeEventRef;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Joins the webhook deliveries of one install that arrive while its signal is in flight into the next signal (group
 * commit): under a burst, Temporal takes one signalWithStart (one history event, one workflow task) for many events
 * instead of one each, so each delivery waits less. Each caller resolves only once the signal carrying its own ref
 * was accepted, and fails with that signal's error.
 */
export class SignalCoalescer {
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly sending = new Set<string>();

  constructor(private readonly send: (installId: string, refs: StripeEventRef[]) => Promise<void>) {}

  signal(installId: string, ref: StripeEventRef): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const queue = this.waiting.get(installId) ?? [];
      queue.push({ ref, resolve, reject });
      this.waiting.set(installId, queue);
      if (!this.sending.has(installId)) void this.drain(installId);
    });
  }

  private async drain(installId: string): Promise<void> {
    this.sending.add(installId);
    try {
      for (;;) {
        const queue = this.waiting.get(installId) ?? [];
        const batch = queue.splice(0, MAX_REFS_PER_SIGNAL);
        if (queue.length === 0) this.waiting.delete(installId);
        if (batch.length === 0) return;
        try {
          await this.send(
            installId,
            batch.map((waiter) => waiter.ref),
          );
          for (const waiter of batch) waiter.resolve();
        } catch (err) {
          for (const waiter of batch) waiter.reject(err);
        }
      }
    } finally {
      this.sending.delete(installId);
    }
  }
}
