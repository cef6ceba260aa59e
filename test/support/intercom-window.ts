import { setTimeout as sleep } from 'node:timers/promises';
import { RATE_WINDOW_MS } from '../../emulators/intercom/rate-limiter';

/**
 * Waits, when the current Intercom rate window (RATE_WINDOW_MS, aligned to the clock) has less than `neededMs` left,
 * for the next one, so that a test's requests all land in one window. Returns the unix second at which the window
 * they land in resets.
 */
export async function withinOneRateWindow(neededMs = 3_000): Promise<number> {
  const left = RATE_WINDOW_MS - (Date.now() % RATE_WINDOW_MS);
  if (left < neededMs) await sleep(left + 20);
  return Math.ceil(Date.now() / RATE_WINDOW_MS) * (RATE_WINDOW_MS / 1000);
}
