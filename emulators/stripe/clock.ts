/**
 * The emulator's notion of "now" in unix seconds: real time plus an offset that tests move forward,
 * so the 30-day event window and trial ends can be exercised without waiting.
 */
export class Clock {
  private offsetSeconds = 0;

  now(): number {
    return Math.floor(Date.now() / 1000) + this.offsetSeconds;
  }

  advance(seconds: number): number {
    this.offsetSeconds += seconds;
    return this.now();
  }
}
