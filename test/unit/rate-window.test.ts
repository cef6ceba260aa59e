import assert from 'node:assert/strict';
import { RateWindow } from '../../src/activities/rate-window';
import { asLiveWork } from '../../src/shared/live-work';

const headers = (remaining: number, resetSeconds: number) =>
  new Headers({ 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset': String(resetSeconds) });

describe('Intercom rate window', () => {
  it('goes ahead while the reported window has requests left, then waits for its reset', () => {
    let now = 1_000_000;
    const window = new RateWindow(() => now);
    assert.equal(window.reserve(), 0, 'nothing known yet');
    window.observe(headers(2, 1_010));
    assert.equal(window.reserve(), 0);
    assert.equal(window.reserve(), 0);
    assert.equal(window.reserve(), 10_000, 'budget spent: wait until the reset at 1,010 s');
    now = 1_010_000;
    assert.equal(window.reserve(), 0, 'a new window');
  });

  it('keeps the most pessimistic view when responses arrive out of order', () => {
    const now = 1_000_000;
    const window = new RateWindow(() => now);
    window.observe(headers(0, 1_005));
    window.observe(headers(7, 1_005));
    assert.equal(window.reserve(), 5_000);
  });

  it('waits after a 429 until the time Intercom gave', () => {
    const now = 1_000_000;
    const window = new RateWindow(() => now);
    window.exhaust(now + 3_000);
    assert.equal(window.reserve(), 3_000);
  });

  it('ignores responses without rate-limit headers', () => {
    const window = new RateWindow(() => 0);
    window.observe(new Headers());
    assert.equal(window.reserve(), 0);
  });

  it('keeps the last 1 % of a window for live work', async () => {
    let now = 1_000_000;
    const window = new RateWindow(() => now);
    // 10,000/min is 1,667 a 10 s window, the figure X-RateLimit-Limit carries: 17 kept for live work.
    window.observe(
      new Headers({ 'x-ratelimit-limit': '1667', 'x-ratelimit-remaining': '19', 'x-ratelimit-reset': '1010' }),
    );
    assert.equal(window.reserve(), 0);
    assert.equal(window.reserve(), 0);
    assert.equal(window.reserve(), 10_000, 'an import waits for the next window with 17 left');
    assert.equal(await asLiveWork(async () => window.reserve()), 0, 'a live change goes ahead');
    for (let i = 0; i < 16; i++) assert.equal(await asLiveWork(async () => window.reserve()), 0);
    assert.equal(await asLiveWork(async () => window.reserve()), 10_000, 'the window spent, live work waits too');
    now = 1_010_000;
    assert.equal(window.reserve(), 0, 'a new window');
  });
});
