import assert from 'node:assert/strict';
import { InFlightLimiter } from '../../src/activities/intercom-in-flight';
import { RateWindow } from '../../src/activities/rate-window';
import { asLiveWork } from '../../src/shared/live-work';

/** Intercom's headers for a limit of `perMinute`: X-RateLimit-Limit carries a 10-second window's count. */
const headers = (perMinute: number, remaining: number, resetSeconds: number) =>
  new Headers({
    'x-ratelimit-limit': String(Math.round(perMinute / 6)),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(resetSeconds),
  });

/** A limiter whose calls each "take" `latencyMs` on a fake clock, so its latency average is exact. */
function limiterWithLatency(window: RateWindow, latencyMs: number) {
  let clock = 0;
  const limiter = new InFlightLimiter(window, () => clock);
  const call = () =>
    limiter.run(async () => {
      clock += latencyMs;
    });
  return { limiter, call };
}

describe('Intercom calls in flight', () => {
  it('follows Little’s law: budget × measured latency, with headroom', async () => {
    let now = 1_000_000;
    const window = new RateWindow(() => now);
    const { limiter, call } = limiterWithLatency(window, 150);
    assert.equal(limiter.limit(), 4, 'nothing known yet: a few calls');
    await call();
    assert.equal(limiter.limit(), 16, 'answers without a published limit: the floor');
    window.observe(headers(10_000, 1_600, 1_010));
    now = 1_000_400; // early in the window: the steady 10,000/min is the budget
    await call();
    // 166.7/s × 0.15 s = 25 calls, × 1.5 headroom.
    assert.equal(limiter.limit(), Math.ceil((10_000 / 60) * 0.15 * 1.5));
  });

  it('allows more when the latency grows and fewer when it shrinks', async () => {
    const window = new RateWindow(() => 0);
    window.observe(headers(6_000, 900, 10));
    const slow = limiterWithLatency(window, 400);
    await slow.call();
    const fast = limiterWithLatency(window, 20);
    await fast.call();
    assert.ok(slow.limiter.limit() > fast.limiter.limit());
    assert.equal(fast.limiter.limit(), 16, 'never below the floor');
  });

  it('spends a window’s leftover budget faster as its reset nears', () => {
    let now = 1_000_000;
    const window = new RateWindow(() => now);
    window.observe(headers(6_000, 500, 1_010));
    assert.equal(window.ratePerSecond(), 100, '500 left over 10 s is the steady 6,000/min');
    now = 1_008_000;
    assert.equal(window.ratePerSecond(), 250, '500 left over the last 2 s');
    now = 1_010_000;
    assert.equal(window.ratePerSecond(), 100, 'a new window: the steady rate again');
  });

  it('never runs more calls at once than its limit, and runs them all', async () => {
    const window = new RateWindow(() => 0);
    const limiter = new InFlightLimiter(window, () => 0);
    let running = 0;
    let most = 0;
    const calls = Array.from({ length: 40 }, () =>
      limiter.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setImmediate(resolve));
        running -= 1;
      }),
    );
    await Promise.all(calls);
    assert.equal(most, limiter.limit());
    assert.equal(limiter.inFlight, 0);
  });

  it('frees the slot of a call that failed', async () => {
    const limiter = new InFlightLimiter(new RateWindow(() => 0), () => 0);
    await assert.rejects(limiter.run(() => Promise.reject(new Error('Intercom said 500'))));
    assert.equal(limiter.inFlight, 0);
  });

  it('gives a free slot to live work before calls that waited longer', async () => {
    const limiter = new InFlightLimiter(new RateWindow(() => 0), () => 0);
    const releases: (() => void)[] = [];
    const holding = Array.from({ length: limiter.limit() }, () =>
      limiter.run(() => new Promise<void>((release) => releases.push(release))),
    );
    const started: string[] = [];
    const waiting = [
      limiter.run(async () => void started.push('import 1')),
      limiter.run(async () => void started.push('import 2')),
      asLiveWork(() => limiter.run(async () => void started.push('live'))),
    ];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, [], 'every slot is held');
    releases.forEach((release) => release());
    await Promise.all([...holding, ...waiting]);
    assert.equal(started[0], 'live');
    assert.deepEqual(started.slice(1), ['import 1', 'import 2']);
  });
});
