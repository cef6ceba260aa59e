import assert from 'node:assert/strict';
import { createPool } from '../../src/db/pool';
import { PriorityPool } from '../../src/db/priority-pool';
import { asLiveWork } from '../../src/shared/live-work';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testLogger } from '../support/config';

describe('PriorityPool (real Postgres)', () => {
  let db: TestDatabase;
  const pools: PriorityPool[] = [];
  const open = (max: number, connectionTimeoutMillis = 10_000) => {
    const pool = createPool(db.connectionString, testLogger(), { max, connectionTimeoutMillis, liveWorkFirst: true });
    assert.ok(pool instanceof PriorityPool);
    pools.push(pool);
    return pool;
  };

  before(async () => {
    db = await createTestDatabase({ migrated: false });
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    await db.drop();
  });

  it('hands the next free connection to live work before work that waited longer', async () => {
    const pool = open(1);
    const held = await pool.connect();
    const finished: string[] = [];
    const queries = [
      pool.query('SELECT 1').then(() => finished.push('import 1')),
      pool.query('SELECT 2').then(() => finished.push('import 2')),
      asLiveWork(() => pool.query('SELECT 3')).then(() => finished.push('live')),
    ];
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(pool.waitingAtGate, { live: 1, other: 2 });
    held.release();
    await Promise.all(queries);
    assert.deepEqual(finished, ['live', 'import 1', 'import 2']);
    assert.deepEqual(pool.waitingAtGate, { live: 0, other: 0 });
  });

  it('keeps every checkout within max, with queries, transactions and failing queries mixed', async () => {
    const pool = open(3);
    let checkedOutNow = 0;
    let most = 0;
    const checkedOut = async (work: () => Promise<unknown>) => {
      checkedOutNow += 1;
      most = Math.max(most, checkedOutNow);
      try {
        return await work();
      } finally {
        checkedOutNow -= 1;
      }
    };
    const jobs = Array.from({ length: 40 }, (_, i) => {
      const job = async () => {
        if (i % 3 === 0) {
          const client = await pool.connect();
          await checkedOut(async () => {
            await client.query('BEGIN');
            await client.query('SELECT pg_sleep(0.005)');
            await client.query('COMMIT');
          }).finally(() => client.release());
          return 'transaction';
        }
        if (i % 5 === 0) return pool.query('SELECT * FROM no_such_table').catch((err: Error) => err.message);
        return (await pool.query<{ n: number }>('SELECT $1::int AS n', [i])).rows[0]?.n;
      };
      return i % 2 ? asLiveWork(job) : job();
    });
    const results = await Promise.all(jobs);
    assert.equal(results.filter((result) => result === 'transaction').length, 14);
    assert.ok(results.some((result) => typeof result === 'string' && result.includes('no_such_table')));
    assert.ok(most <= 3);
    assert.ok(pool.totalCount <= 3, `pg opened ${pool.totalCount} connections`);
    assert.equal(pool.waitingCount, 0, 'nothing ever waits in pg’s own queue');
    // Every place came back: max checkouts at once still pass.
    const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    clients.forEach((client) => client.release());
  });

  it('fails a checkout that waits longer than connectionTimeoutMillis, with pg’s error, and keeps its place count', async () => {
    const pool = open(1, 200);
    const held = await pool.connect();
    await assert.rejects(pool.query('SELECT 1'), /timeout exceeded when trying to connect/);
    assert.deepEqual(pool.waitingAtGate, { live: 0, other: 0 });
    held.release();
    assert.equal((await pool.query<{ n: number }>('SELECT 7 AS n')).rows[0]?.n, 7);
  });
});
