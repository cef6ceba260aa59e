import { z } from 'zod';

const nonNegative = z.number().finite().min(0);

/** What a test may change while the emulator runs (in process or via `POST /_emulator/faults`). */
export const faultChangesSchema = z.strictObject({
  /** New contacts stay out of search results for this long. */
  searchLagMs: nonNegative.optional(),
  /** Per token; 0 turns limiting (and the X-RateLimit-* headers) off. */
  rateLimitPerMinute: z.number().int().min(0).optional(),
  latencyMs: nonNegative.optional(),
  /**
   * Delay between a request taking effect and its answer: a client that dies (or gives up) meanwhile has changed
   * Intercom without knowing it (a fault knob, not modelled Intercom behaviour).
   */
  answerDelayMs: nonNegative.optional(),
  /** Share of requests answered 500 or 503 at random, before they take effect. */
  failureRate: z.number().min(0).max(1).optional(),
  /**
   * The next `count` requests fail with `status`. With `afterEffect` the request is applied first and only its
   * answer is lost: the case that makes a retried create meet a 409. With `endpoint` (a route pattern such as
   * `POST /contacts`) only that endpoint's requests fail and count.
   */
  failNext: z
    .strictObject({
      count: z.number().int().min(0),
      status: z.union([z.literal(500), z.literal(503)]).default(500),
      afterEffect: z.boolean().default(false),
      endpoint: z.string().min(1).optional(),
    })
    .optional(),
});

export type FaultChanges = z.input<typeof faultChangesSchema>;

export interface Settings {
  searchLagMs: number;
  rateLimitPerMinute: number;
  latencyMs: number;
  answerDelayMs?: number;
  failureRate: number;
}

export interface InjectedFailure {
  status: 500 | 503;
  afterEffect: boolean;
}

/** The emulator's adjustable behaviour: search lag, rate limit, latency and injected 5xx answers. */
export class Conditions {
  private failNext: (InjectedFailure & { remaining: number; endpoint?: string }) | undefined;

  constructor(readonly settings: Settings) {}

  update(changes: FaultChanges): void {
    const { failNext, ...settings } = faultChangesSchema.parse(changes);
    Object.assign(this.settings, settings);
    if (failNext) {
      const { count, ...failure } = failNext;
      this.failNext = { remaining: count, ...failure };
    }
  }

  snapshot(): Settings & { failNextRemaining: number } {
    return { ...this.settings, failNextRemaining: this.failNext?.remaining ?? 0 };
  }

  /** The failure to inject into this request, if any: scheduled ones first, then the random share. */
  drawFailure(endpoint: string): InjectedFailure | undefined {
    const scheduled = this.failNext;
    if (scheduled && scheduled.remaining > 0 && (scheduled.endpoint === undefined || scheduled.endpoint === endpoint)) {
      scheduled.remaining -= 1;
      return { status: scheduled.status, afterEffect: scheduled.afterEffect };
    }
    if (this.settings.failureRate > 0 && Math.random() < this.settings.failureRate) {
      return { status: Math.random() < 0.5 ? 500 : 503, afterEffect: false };
    }
    return undefined;
  }
}
