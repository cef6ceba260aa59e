import type { Emulators } from './emulators';

/**
 * When each emulator endpoint was first called, in seconds since `start()`: the import's phases as the vendors see
 * them (account and lists read, attributes prepared, first contact written). Sampled every 100 ms.
 */
export class FirstCalls {
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  constructor(
    private readonly emulators: Emulators,
    private readonly workspaceId: string,
  ) {}

  start(): void {
    this.started = performance.now();
    this.timer = setInterval(() => this.sample(), 100);
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    return Object.fromEntries([...this.seen].sort((a, b) => a[1] - b[1]));
  }

  private sample(): void {
    const seconds = Math.round((performance.now() - this.started) / 100) / 10;
    const counts = [
      ...Object.keys(this.emulators.stripe.requestCounts()).map((endpoint) => `stripe ${endpoint}`),
      ...Object.keys(this.emulators.intercom.requestCounts(this.workspaceId)).map((endpoint) => `intercom ${endpoint}`),
    ];
    for (const endpoint of counts) if (!this.seen.has(endpoint)) this.seen.set(endpoint, seconds);
  }
}
