import { LiveFirstQueue } from '../shared/live-work';
import type { RateWindow } from './rate-window';

/** Before the first answer: a few calls at once. */
const INITIAL_IN_FLIGHT = 4;
/**
 * Never fewer than this once answers come (and all there is when no X-RateLimit-Limit comes with them): at a few ms
 * of latency Little's law alone would allow a call or two, while the time a call really takes includes waiting for
 * both event loops; 4 held a 10,000-customer import without latency to 83 customers/s, 16 let it reach 105
 * (`npm run bench -- --rate-limit 0 --intercom-latency-ms 0 --stripe-latency-ms 0 --skip-baselines --skip-live`).
 * The rate window still keeps the calls within the budget.
 */
const MIN_IN_FLIGHT = 16;
/** A ceiling for a misbehaving measurement (a 30 s timeout would otherwise allow thousands). */
export const MAX_IN_FLIGHT = 64;
/** Calls in flight beyond Little's law: latency varies from call to call, and idle slots cost throughput. */
const HEADROOM = 1.5;
/** Weight of the newest latency sample in the moving average. */
const LATENCY_WEIGHT = 0.1;

/**
 * How many Intercom calls one workspace has in flight from this worker. Little's law: to spend the rate budget
 * (requests/s) when each call takes `latency` s, about budget × latency calls must be in flight (at 10,000/min and
 * 150 ms, 26). Both come from measurements (the moving average of call latencies; the budget from X-RateLimit-*
 * through the RateWindow), never a fixed guess; the RateWindow still keeps the calls within the budget itself.
 * A free slot goes to live work's calls first (asLiveWork): a webhook's change to a workspace that is importing
 * waits for one call to end, not for the import's queue.
 */
export class InFlightLimiter {
  private running = 0;
  private latencyMs: number | null = null;
  private readonly waiting = new LiveFirstQueue<() => void>();

  constructor(
    private readonly rate: RateWindow,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls allowed in flight now. */
  limit(): number {
    const perSecond = this.rate.ratePerSecond();
    if (this.latencyMs === null) return INITIAL_IN_FLIGHT;
    if (perSecond === null) return MIN_IN_FLIGHT;
    const wanted = Math.ceil(((perSecond * this.latencyMs) / 1000) * HEADROOM);
    return Math.min(MAX_IN_FLIGHT, Math.max(MIN_IN_FLIGHT, wanted));
  }

  get inFlight(): number {
    return this.running;
  }

  /** Runs `call` once a slot is free, timing it for the latency average (failures included: they took as long). */
  async run<T>(call: () => Promise<T>): Promise<T> {
    while (this.running >= this.limit()) await new Promise<void>((wake) => this.waiting.push(wake));
    this.running += 1;
    const started = this.now();
    try {
      return await call();
    } finally {
      const sample = this.now() - started;
      this.latencyMs = this.latencyMs === null ? sample : this.latencyMs + LATENCY_WEIGHT * (sample - this.latencyMs);
      this.running -= 1;
      // Wake as many as the (possibly new) limit allows; each re-checks the limit itself.
      for (let free = this.limit() - this.running; free > 0; free--) {
        const next = this.waiting.shift();
        if (!next) break;
        next();
      }
    }
  }
}
