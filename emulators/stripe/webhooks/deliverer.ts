import type Stripe from 'stripe';
import { renderEventAt } from '../objects/versions';
import { type Random } from '../random';
import { apiVersion } from '../types';
import { signatureHeader } from './signature';

export interface WebhookOptions {
  /** Attempts per delivery, the first included (Stripe retries for 3 days; tests want a handful). */
  maxAttempts: number;
  /** Delay before the first retry; doubles for each later one, like Stripe's exponential backoff. */
  retryDelayMs: number;
  /** Chance, per possible duplicate, that a delivered event is sent again. */
  duplicateProbability: number;
  maxDuplicates: number;
  /** Dispatch waiting deliveries in random order instead of creation order. */
  reorder: boolean;
  /** Random delay `[min, max]` before each attempt. */
  delayMs: [number, number];
  /** Deliveries in flight at once. */
  concurrency: number;
  /** A receiver slower than this counts as failed, as with Stripe's timeout. */
  timeoutMs: number;
}

export interface WebhookTarget {
  endpointId: string;
  url: string;
  secret: string;
  /** The endpoint's own `api_version`; null: events arrive at the version they were created at. */
  apiVersion: string | null;
}

/** One HTTP attempt to deliver one event to one endpoint. */
export interface DeliveryAttempt {
  eventId: string;
  eventType: string;
  livemode: boolean;
  endpointId: string;
  url: string;
  attempt: number;
  /** A copy sent by the duplicates knob, not a retry. */
  duplicate: boolean;
  /** Unix milliseconds when the attempt finished. */
  at: number;
  /** How long the receiver took to answer (or to fail), in milliseconds. */
  durationMs: number;
  outcome: 'succeeded' | 'failed';
  httpStatus: number | null;
  error: string | null;
  willRetry: boolean;
}

interface Delivery {
  event: Stripe.Event;
  target: WebhookTarget;
  attempt: number;
  duplicate: boolean;
}

/**
 * Sends events to webhook endpoints the way Stripe does: signed, at least once, retried with backoff on
 * non-2xx or network errors, and (by knob) duplicated, delayed and out of order.
 */
export class WebhookDeliverer {
  private readonly pending: Delivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly attempts: DeliveryAttempt[] = [];
  private readonly aborter = new AbortController();
  private waiters: Array<() => void> = [];
  private inFlight = 0;
  private paused = false;
  private pumpScheduled = false;

  constructor(
    private options: WebhookOptions,
    private readonly random: Random,
    /** Called once per original (non-duplicate) delivery that reached its endpoint. */
    private readonly onDelivered: (event: Stripe.Event) => void,
  ) {}

  enqueue(event: Stripe.Event, targets: readonly WebhookTarget[]): void {
    for (const target of targets) this.schedule({ event, target, attempt: 1, duplicate: false }, this.jitter());
  }

  /** Changes knobs for deliveries dispatched from now on. */
  configure(options: Partial<WebhookOptions>): WebhookOptions {
    this.options = { ...this.options, ...options };
    this.schedulePump();
    return { ...this.options };
  }

  deliveries(): DeliveryAttempt[] {
    return this.attempts.map((attempt) => ({ ...attempt }));
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.schedulePump();
  }

  /** Resolves once nothing is waiting, in flight or scheduled for retry. */
  waitForIdle(timeoutMs: number): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== done);
        reject(new Error(`webhook deliveries still pending after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  close(): void {
    this.aborter.abort();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending.length = 0;
    this.settle();
  }

  private idle(): boolean {
    return this.pending.length === 0 && this.inFlight === 0 && this.timers.size === 0;
  }

  private settle(): void {
    if (!this.idle() && !this.aborter.signal.aborted) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private jitter(): number {
    const [min, max] = this.options.delayMs;
    return max > 0 ? this.random.int(min, max) : 0;
  }

  private schedule(delivery: Delivery, delayMs: number): void {
    if (this.aborter.signal.aborted) return;
    if (delayMs <= 0) {
      this.pending.push(delivery);
      this.schedulePump();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.pending.push(delivery);
      this.schedulePump();
    }, delayMs);
    this.timers.add(timer);
  }

  /** Deferred so all events of one mutation are queued before dispatch, which gives `reorder` room to work. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.paused && this.inFlight < this.options.concurrency && this.pending.length > 0) {
      const index = this.options.reorder ? this.random.int(0, this.pending.length - 1) : 0;
      const [delivery] = this.pending.splice(index, 1);
      if (delivery === undefined) break;
      this.inFlight++;
      void this.send(delivery).finally(() => {
        this.inFlight--;
        this.pump();
        this.settle();
      });
    }
    this.settle();
  }

  private async send(delivery: Delivery): Promise<void> {
    const { event, target } = delivery;
    const payload = JSON.stringify(renderEventAt(event, target.apiVersion ?? event.api_version ?? apiVersion), null, 2);
    let httpStatus: number | null = null;
    let error: string | null = null;
    const startedAt = performance.now();
    try {
      const response = await fetch(delivery.target.url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          'Stripe-Signature': signatureHeader(delivery.target.secret, payload, Math.floor(Date.now() / 1000)),
        },
        body: payload,
        signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      httpStatus = response.status;
      await response.arrayBuffer();
    } catch (cause) {
      error = cause instanceof Error ? cause.message : String(cause);
    }
    if (this.aborter.signal.aborted) return;
    const succeeded = httpStatus !== null && httpStatus >= 200 && httpStatus < 300;
    const willRetry = !succeeded && delivery.attempt < this.options.maxAttempts;
    this.attempts.push({
      eventId: delivery.event.id,
      eventType: delivery.event.type,
      livemode: delivery.event.livemode,
      endpointId: delivery.target.endpointId,
      url: delivery.target.url,
      attempt: delivery.attempt,
      duplicate: delivery.duplicate,
      at: Date.now(),
      durationMs: performance.now() - startedAt,
      outcome: succeeded ? 'succeeded' : 'failed',
      httpStatus,
      error,
      willRetry,
    });
    if (succeeded && !delivery.duplicate) {
      this.onDelivered(delivery.event);
      for (let i = 0; i < this.options.maxDuplicates; i++) {
        if (this.random.chance(this.options.duplicateProbability)) {
          this.schedule({ ...delivery, attempt: 1, duplicate: true }, this.jitter());
        }
      }
    }
    if (willRetry) {
      const backoff = this.options.retryDelayMs * 2 ** (delivery.attempt - 1);
      this.schedule({ ...delivery, attempt: delivery.attempt + 1 }, backoff + this.jitter());
    }
  }
}
