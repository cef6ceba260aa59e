import assert from 'node:assert/strict';
import {
  LIVE_LIMITS,
  MAX_GRANT,
  MAX_SENDS_PER_REQUEST,
  SHARED_TEST_LIMITS,
  StripeAccountPacer,
  StripePacers,
  stripeEndpoint,
  type PacerClock,
  type RateLimitedAnswer,
  type SharedStripeBudget,
} from '../../src/vendors/stripe-pacer';
import { asLiveWork } from '../../src/shared/live-work';
import { maxPerSecond } from '../../scripts/lib/rates';

/** Virtual time: sleepers wake in time order when run() advances the clock; nothing waits for real. */
class FakeClock implements PacerClock {
  time = 0;
  private sleepers: { at: number; wake: () => void }[] = [];
  constructor(private readonly randomValue = 0.5) {}
  now = () => this.time;
  random = () => this.randomValue;
  sleep = (ms: number) =>
    new Promise<void>((wake) => {
      this.sleepers.push({ at: this.time + ms, wake });
    });

  /** Runs `work` to completion, advancing time to each next sleeper whenever nothing else can run. */
  async run<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const result = work.finally(() => (done = true));
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers.shift();
      if (next) {
        this.time = Math.max(this.time, next.at);
        next.wake();
      }
    }
    return result;
  }
}

type Answer = { status: number; reason?: string; retryAfterMs?: number };
const limitedOf = (answer: Answer): RateLimitedAnswer | null =>
  answer.status === 429 ? { reason: answer.reason ?? null, retryAfterMs: answer.retryAfterMs ?? null } : null;

/** A request through the pacer that records when it was sent, per endpoint, and is answered 200. */
function sendRecorded(pacer: StripeAccountPacer, clock: FakeClock, sent: Record<string, number[]>, endpoint: string) {
  return pacer.run(
    endpoint,
    async () => {
      (sent[endpoint] ??= []).push(clock.now());
      return { status: 200 };
    },
    limitedOf,
  );
}

describe('Stripe pacer', () => {
  it('keeps an account under its per-second budget and each endpoint under its own', async () => {
    const clock = new FakeClock();
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    const sent: Record<string, number[]> = {};
    const endpoints = [
      'GET /v1/customers/{id}',
      'GET /v1/charges',
      'GET /v1/products/{id}',
      'GET /v1/prices/{id}',
      'GET /v1/customers',
      'GET /v1/coupons/{id}',
    ];
    const requests = Array.from({ length: 600 }, (_, n) =>
      sendRecorded(pacer, clock, sent, endpoints[n % endpoints.length] as string),
    );
    await clock.run(Promise.all(requests));
    const all = Object.values(sent).flat();
    assert.equal(all.length, 600);
    assert.ok(maxPerSecond(all) <= LIVE_LIMITS.perSecond, `account: ${maxPerSecond(all)} in one second`);
    for (const [endpoint, times] of Object.entries(sent)) {
      assert.ok(maxPerSecond(times) <= LIVE_LIMITS.perEndpointPerSecond, `${endpoint}: ${maxPerSecond(times)}/s`);
    }
    // Paced, not starved: 600 requests over six endpoints take about 600 / 90 s.
    assert.ok(clock.time < 8_000, `took ${clock.time} ms of virtual time`);
  });

  it('gives each endpoint its own budget when the pages of two lists wait at once', async () => {
    const clock = new FakeClock();
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    const sent: Record<string, number[]> = {};
    // Twelve pages of one list ask first, then twelve of another: the second list's must not queue behind the first's.
    const requests = ['GET /v1/subscriptions', 'GET /v1/charges'].flatMap((endpoint) =>
      Array.from({ length: 12 }, () => sendRecorded(pacer, clock, sent, endpoint)),
    );
    await clock.run(Promise.all(requests));
    const all = Object.values(sent).flat();
    assert.ok(maxPerSecond(all) <= LIVE_LIMITS.perSecond, `account: ${maxPerSecond(all)} in one second`);
    for (const [endpoint, times] of Object.entries(sent)) {
      assert.ok(maxPerSecond(times) <= LIVE_LIMITS.perEndpointPerSecond, `${endpoint}: ${maxPerSecond(times)}/s`);
      // 12 at 22/s: the last goes out after 11 spacings of 45.5 ms, whichever list asked first.
      assert.ok((times.at(-1) as number) <= 11 * 46 + 12, `${endpoint}: last sent at ${times.at(-1)} ms`);
    }
  });

  it('after a 429 waits Retry-After when given, sends again, and blocks the whole account meanwhile', async () => {
    const clock = new FakeClock();
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    const answers: Answer[] = [{ status: 429, reason: 'global-rate', retryAfterMs: 2_000 }, { status: 200 }];
    const sends: number[] = [];
    const first = pacer.run(
      'GET /v1/customers/{id}',
      async () => {
        sends.push(clock.now());
        return answers.shift() as Answer;
      },
      limitedOf,
    );
    const otherSends: number[] = [];
    const other = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return pacer.run(
        'GET /v1/charges',
        async () => {
          otherSends.push(clock.now());
          return { status: 200 };
        },
        limitedOf,
      );
    })();
    const [answer] = await clock.run(Promise.all([first, other]));
    assert.equal(answer.status, 200);
    assert.deepEqual(sends, [0, 2_000]);
    assert.ok((otherSends[0] as number) >= 2_000, 'another endpoint of the account waited too');
  });

  it('an endpoint-rate 429 blocks only that endpoint, with a jittered exponential backoff', async () => {
    const clock = new FakeClock(0.5);
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    const sends: number[] = [];
    let calls = 0;
    const limitedRequest = pacer.run(
      'GET /v1/customers/{id}',
      async () => {
        sends.push(clock.now());
        calls += 1;
        return calls <= 2 ? { status: 429, reason: 'endpoint-rate' } : { status: 200 };
      },
      limitedOf,
    );
    const otherSends: number[] = [];
    const other = pacer.run(
      'GET /v1/charges',
      async () => {
        otherSends.push(clock.now());
        return { status: 200 };
      },
      limitedOf,
    );
    await clock.run(Promise.all([limitedRequest, other]));
    // Full jitter with random() = 0.5: half of 500 ms, then half of 1,000 ms.
    assert.deepEqual(sends, [0, 250, 750]);
    assert.ok((otherSends[0] as number) < 250, 'the other endpoint was not blocked');
  });

  it('gives the 429 back after a bounded number of sends, releasing the ones it drops', async () => {
    const clock = new FakeClock();
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    let sends = 0;
    let discarded = 0;
    const answer = await clock.run(
      pacer.run(
        'GET /v1/customers',
        async () => {
          sends += 1;
          return { status: 429 } as Answer;
        },
        limitedOf,
        () => (discarded += 1),
      ),
    );
    assert.equal(answer.status, 429);
    assert.equal(sends, MAX_SENDS_PER_REQUEST);
    assert.equal(discarded, MAX_SENDS_PER_REQUEST - 1);
  });

  it('shares one pacer per account and mode', () => {
    const pacers = new StripePacers(new FakeClock());
    assert.equal(pacers.for('acct_1', true), pacers.for('acct_1', true));
    assert.notEqual(pacers.for('acct_1', true), pacers.for('acct_1', false));
    assert.notEqual(pacers.for('acct_1', true), pacers.for('acct_2', true));
  });

  it('names an endpoint by operation, not by object id', () => {
    assert.equal(
      stripeEndpoint('get', '/v1/customers/cus_NffrFeUfNV2Hib?expand[]=subscriptions'),
      'GET /v1/customers/{id}',
    );
    assert.equal(stripeEndpoint('GET', '/v1/customers?limit=100'), 'GET /v1/customers');
    assert.equal(stripeEndpoint('GET', '/v1/prices/price_1MoBy5LkdIwHu7ixZhnattbh'), 'GET /v1/prices/{id}');
    assert.equal(stripeEndpoint('POST', '/v1/webhook_endpoints'), 'POST /v1/webhook_endpoints');
  });
});

describe('Stripe pacer after account-wide 429s', () => {
  it('halves the account’s pace on each one and recovers it with successes', async () => {
    const clock = new FakeClock(0);
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock);
    const gapBetweenTwo = async () => {
      const sent: number[] = [];
      const send = async () => {
        sent.push(clock.now());
        return { status: 200 } as Answer;
      };
      await clock.run(Promise.all([pacer.run('GET /v1/a', send, limitedOf), pacer.run('GET /v1/b', send, limitedOf)]));
      return (sent[1] as number) - (sent[0] as number);
    };
    const normal = await gapBetweenTwo();
    let answers: Answer[] = [{ status: 429, reason: 'global-rate' }, { status: 200 }];
    await clock.run(pacer.run('GET /v1/c', async () => answers.shift() as Answer, limitedOf));
    const slowed = await gapBetweenTwo();
    assert.ok(slowed >= normal * 1.5, `after a 429: ${slowed} ms apart, before ${normal} ms`);
    for (let n = 0; n < 100; n++) {
      answers = [{ status: 200 }];
      await clock.run(pacer.run('GET /v1/d', async () => answers.shift() as Answer, limitedOf));
    }
    assert.ok((await gapBetweenTwo()) <= normal + 0.2, 'recovered after successes');
  });
});

/** A shared budget as the database keeps it (stripe-budgets.ts), for one endpoint: grants spaced at its rate. */
function endpointBudget(clock: FakeClock): SharedStripeBudget & { grants: number } {
  let nextFree = 0;
  return {
    grants: 0,
    async reserve({ wanted, limits }) {
      this.grants += 1;
      const at = Math.max(clock.now(), nextFree);
      nextFree = at + (wanted * 1000) / limits.endpointPerSecond;
      return { waitMs: at - clock.now() };
    },
  };
}

describe('Stripe pacer on a shared budget', () => {
  const endpoint = 'GET /v1/charges';

  it('hands the next tokens to live work ahead of requests that waited longer', async () => {
    const clock = new FakeClock();
    const budget = endpointBudget(clock);
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock, {
      budget,
      account: 'acct_1:test',
      limits: SHARED_TEST_LIMITS,
    });
    const order: string[] = [];
    const send = (name: string) => () => {
      order.push(name);
      return Promise.resolve({ status: 200 } as Answer);
    };
    const importPages = Array.from({ length: 40 }, (_, n) => pacer.run(endpoint, send(`page ${n}`), limitedOf));
    const liveRead = asLiveWork(() => pacer.run(endpoint, send('live'), limitedOf));
    await clock.run(Promise.all([...importPages, liveRead]));
    assert.equal(order.length, 41);
    // The grant in flight when it came was asked for before it; the next one is its.
    assert.ok(order.indexOf('live') <= MAX_GRANT, `live read sent ${order.indexOf('live') + 1}th: ${order.join(', ')}`);
    assert.deepEqual(
      order.filter((name) => name !== 'live'),
      importPages.map((_, n) => `page ${n}`),
      'the rest in arrival order',
    );
    assert.ok(budget.grants <= Math.ceil(41 / MAX_GRANT) + 1, `${budget.grants} grant requests for 41 requests`);
  });

  it('while another process’s live work holds the endpoint, asks again when the hold ends, and at once for live work', async () => {
    const clock = new FakeClock();
    const heldUntil = 500;
    const asked: { at: number; live: boolean }[] = [];
    const budget: SharedStripeBudget = {
      async reserve({ live }) {
        asked.push({ at: clock.now(), live });
        return !live && clock.now() < heldUntil ? { deferredMs: heldUntil - clock.now() } : { waitMs: 0 };
      },
    };
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock, {
      budget,
      account: 'acct_1:test',
      limits: SHARED_TEST_LIMITS,
    });
    const sentAt: Record<string, number> = {};
    const send = (name: string) => async () => {
      sentAt[name] = clock.now();
      return { status: 200 } as Answer;
    };
    const importPages = [0, 1, 2].map((n) => pacer.run(endpoint, send(`page ${n}`), limitedOf));
    const liveRead = clock.sleep(100).then(() => asLiveWork(() => pacer.run(endpoint, send('live'), limitedOf)));
    await clock.run(Promise.all([...importPages, liveRead]));
    assert.equal(sentAt.live, 100, 'live work is not deferred');
    for (const n of [0, 1, 2]) assert.equal(sentAt[`page ${n}`], heldUntil, `page ${n} waits for the hold's end`);
    assert.deepEqual(asked, [
      { at: 0, live: false },
      { at: 100, live: true },
      { at: heldUntil, live: false },
    ]);
  });

  it('gives a failed grant request to the requests waiting for it, then grants again', async () => {
    const clock = new FakeClock();
    let failNext = true;
    const budget: SharedStripeBudget = {
      async reserve() {
        if (failNext) {
          failNext = false;
          throw new Error('database unavailable');
        }
        return { waitMs: 0 };
      },
    };
    const pacer = new StripeAccountPacer(LIVE_LIMITS, clock, {
      budget,
      account: 'acct_1:test',
      limits: SHARED_TEST_LIMITS,
    });
    const ok = async () => ({ status: 200 }) as Answer;
    const first = await clock.run(
      Promise.allSettled([pacer.run(endpoint, ok, limitedOf), pacer.run(endpoint, ok, limitedOf)]),
    );
    assert.deepEqual(
      first.map((result) => (result.status === 'rejected' ? (result.reason as Error).message : 'sent')),
      ['database unavailable', 'database unavailable'],
    );
    assert.deepEqual(await clock.run(pacer.run(endpoint, ok, limitedOf)), { status: 200 });
  });
});
