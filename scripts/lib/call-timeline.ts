import type { Emulators } from './emulators';
import { sum } from './emulators';
import { RATE_WINDOW_MS } from '../../emulators/intercom/rate-limiter';

/**
 * The import as the vendors see it, sampled every 100 ms: when each endpoint was first called (seconds since
 * `start()`: account and lists read, attributes prepared, first contact written), and the workspace's Intercom calls
 * in each of Intercom's 10-second windows (how much of each window's budget the import used).
 */
export class CallTimeline {
  private readonly firstCalls = new Map<string, number>();
  private readonly intercomCallsByWindow = new Map<number, number>();
  private intercomCallsSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  constructor(
    private readonly emulators: Emulators,
    private readonly workspaceId: string,
  ) {}

  start(): void {
    this.started = performance.now();
    this.intercomCallsSeen = sum(this.emulators.intercom.requestCounts(this.workspaceId));
    this.timer = setInterval(() => this.sample(), 100);
  }

  stop(): { firstCallSeconds: Record<string, number>; intercomCallsPerWindow: number[] } {
    clearInterval(this.timer);
    this.sample();
    return {
      firstCallSeconds: Object.fromEntries([...this.firstCalls].sort((a, b) => a[1] - b[1])),
      intercomCallsPerWindow: [...this.intercomCallsByWindow.values()],
    };
  }

  private sample(): void {
    const seconds = Math.round((performance.now() - this.started) / 100) / 10;
    const stripe = this.emulators.stripe.requestCounts();
    const intercom = this.emulators.intercom.requestCounts(this.workspaceId);
    const endpoints = [
      ...Object.keys(stripe).map((endpoint) => `stripe ${endpoint}`),
      ...Object.keys(intercom).map((endpoint) => `intercom ${endpoint}`),
    ];
    for (const endpoint of endpoints) if (!this.firstCalls.has(endpoint)) this.firstCalls.set(endpoint, seconds);
    const calls = sum(intercom);
    const window = Math.floor(Date.now() / RATE_WINDOW_MS);
    this.intercomCallsByWindow.set(
      window,
      (this.intercomCallsByWindow.get(window) ?? 0) + calls - this.intercomCallsSeen,
    );
    this.intercomCallsSeen = calls;
  }
}
