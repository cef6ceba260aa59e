import assert from 'node:assert/strict';
import { MAX_GRANT, StripePacers, systemClock, type SharedStripeBudget } from '../../src/vendors/stripe-pacer';
import { asLiveWork } from '../../src/shared/live-work';
import { createPool } from '../../src/db/pool';
import { postgresStripeBudget } from '../../src/db/stripe-budgets';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testLogger } from '../support/config';
import { maxPerSecond } from '../../scripts/lib/rates';
import { eventually } from '../support/stack';

/** A budget that counts its round trips to the database. */
function counted(budget: SharedStripeBudget): SharedStripeBudget & { calls: number } {
  const wrapper = {
    calls: 0,
    reserve: (request: Parameters<SharedStripeBudget['reserve']>[0]) => {
      wrapper.calls += 1;
      return budget.reserve(request);
    },
  };
  return wrapper;
}

describe('Stripe budget shared in PostgreSQL', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  before(async () => (db = await createTestDatabase()));
  after(async () => db.drop());

  it('keeps two workers on one account under its 100/s and each endpoint under 25/s, a grant per few requests', async () => {
    // Two workers: each its own pool and pacers, one database (https://docs.stripe.com/rate-limits: 100 requests/s
    // per live account, 25/s per endpoint).
    const workers = [0, 1].map(() => {
      const pool = createPool(db.connectionString, testLogger(), { max: 4 });
      const budget = counted(postgresStripeBudget(pool));
      return { pool, budget, pacers: new StripePacers(systemClock, budget) };
    });
    const endpoints = [
      'GET /v1/customers',
      'GET /v1/subscriptions',
      'GET /v1/charges',
      'GET /v1/customers/{id}',
      'GET /v1/prices/{id}',
    ];
    const sent: { at: number; endpoint: string }[] = [];
    const perWorker = 300;
    try {
      await Promise.all(
        workers.map(({ pacers }) => {
          const pacer = pacers.for('acct_shared', true);
          // Every request of a worker waits at once, as the pages of an import do.
          return Promise.all(
            Array.from({ length: perWorker }, (_, index) => {
              const endpoint = endpoints[index % endpoints.length] as string;
              return pacer.run(
                endpoint,
                async () => sent.push({ at: performance.now(), endpoint }),
                () => null,
              );
            }),
          );
        }),
      );
    } finally {
      await Promise.all(workers.map(({ pool }) => pool.end()));
    }
    assert.equal(sent.length, 2 * perWorker);
    const account = maxPerSecond(sent.map((request) => request.at));
    const byEndpoint = endpoints.map((endpoint) =>
      maxPerSecond(sent.filter((request) => request.endpoint === endpoint).map((request) => request.at)),
    );
    console.log(`      busiest second: ${account} on the account, ${byEndpoint.join(', ')} per endpoint`);
    assert.ok(account <= 100, `the account got ${account} requests in one second`);
    for (const count of byEndpoint) assert.ok(count <= 25, `an endpoint got ${count} requests in one second`);
    // The budget is spent, not trickled: well over what one endpoint alone may take.
    assert.ok(account >= 40, `only ${account} requests in the busiest second`);
    const roundTrips = workers.reduce((total, { budget }) => total + budget.calls, 0);
    assert.ok(roundTrips < sent.length, `${roundTrips} grant requests for ${sent.length} Stripe requests`);
  });

  it('gives one worker’s live reads the endpoint ahead of the other worker’s import pages', async () => {
    const worker = () => {
      const pool = createPool(db.connectionString, testLogger(), { max: 2 });
      return { pool, pacer: new StripePacers(systemClock, postgresStripeBudget(pool)).for('acct_lanes', true) };
    };
    const importing = worker();
    const live = worker();
    const endpoint = 'GET /v1/subscriptions';
    const sent: { at: number; live: boolean }[] = [];
    const send = (isLive: boolean) => () => {
      sent.push({ at: performance.now(), live: isLive });
      return Promise.resolve(null);
    };
    try {
      const importPages = Array.from({ length: 100 }, () => importing.pacer.run(endpoint, send(false), () => null));
      // The live reads come once the import's pages flow.
      await eventually(async () => (sent.length >= 8 ? true : undefined));
      const liveReads = Array.from({ length: 24 }, () =>
        asLiveWork(() => live.pacer.run(endpoint, send(true), () => null)),
      );
      await Promise.all([...importPages, ...liveReads]);
    } finally {
      await Promise.all([importing.pool.end(), live.pool.end()]);
    }
    const liveAt = sent.flatMap((request, index) => (request.live ? [index] : []));
    const importBetween = sent.slice(liveAt[0], liveAt.at(-1)).filter((request) => !request.live).length;
    console.log(`      ${importBetween} import pages sent between the first and the last of 24 live reads`);
    // Only the grant the import had reserved before the live work asked (MAX_GRANT); in arrival order the two
    // workers' grants alternated, some 20 pages.
    assert.ok(importBetween <= MAX_GRANT, `${importBetween} import pages went between the live reads`);
    assert.ok(maxPerSecond(sent.map((request) => request.at)) <= 25, 'the endpoint stays under its limit');
  });

  it('counts the account once for every endpoint: test mode stays under 25/s across workers', async () => {
    const pools = [0, 1].map(() => createPool(db.connectionString, testLogger(), { max: 2 }));
    const sent: number[] = [];
    try {
      await Promise.all(
        pools.map((pool, worker) => {
          const pacer = new StripePacers(systemClock, postgresStripeBudget(pool)).for('acct_test', false);
          return Promise.all(
            Array.from({ length: 60 }, (_, index) =>
              pacer.run(
                `GET /v1/list_${worker}_${index % 3}`,
                async () => sent.push(performance.now()),
                () => null,
              ),
            ),
          );
        }),
      );
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const busiest = maxPerSecond(sent);
    assert.ok(busiest <= 25, `the test account got ${busiest} requests in one second`);
  });
});
