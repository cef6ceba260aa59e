import { setTimeout as sleep } from 'node:timers/promises';

const WINDOW_MS = 10_000;

/**
 * Waits, when the current Intercom rate window (10 s, aligned to the clock: emulators/intercom/rate-limiter.ts) has
 * less than `neededMs` left, for the next one, so that a test's requests all land in one window. Returns the unix
 * second at which the window they land in resets.
 */
export async function withinOneRateWindow(neededMs = 3_000): Promise<number> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < neededMs) await sleep(left + 20);
  return Math.ceil(Date.now() / WINDOW_MS) * (WINDOW_MS / 1000);
}
