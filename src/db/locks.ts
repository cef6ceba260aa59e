import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` holding a Postgres advisory lock on `key`, across every worker process. The work gets the locked
 * connection so it never waits for a second pool connection while holding the lock.
 */
export async function withAdvisoryLock<T>(
  pool: Pool,
  key: string,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [key]);
    try {
      return await work(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  } finally {
    client.release();
  }
}

/**
 * Runs `work` holding the advisory locks of every key at once, taken in one query on one connection (the work gets
 * it). Taken in a fixed order (by hash), so two holders of overlapping sets never wait on each other in a cycle.
 */
export async function withAdvisoryLocks<T>(
  pool: Pool,
  keys: string[],
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    // A locking function over an ordered subquery takes the locks in that order (the pattern the manual shows as
    // safe: https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
    await client.query(
      `SELECT pg_advisory_lock(ordered.key) FROM
         (SELECT DISTINCT hashtextextended(k, 0) AS key FROM unnest($1::text[]) AS k ORDER BY 1) AS ordered`,
      [keys],
    );
    try {
      return await work(oneQueryAtATime(client));
    } finally {
      await client.query('SELECT pg_advisory_unlock_all()');
    }
  } finally {
    client.release();
  }
}

/**
 * The client, with its queries run one after another: the work writes several contacts at once on it, and pg
 * deprecates calling query() while the client is already executing one.
 */
function oneQueryAtATime(client: PoolClient): PoolClient {
  const send = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  let tail: Promise<unknown> = Promise.resolve();
  const query = (...args: unknown[]): Promise<unknown> => {
    const run = tail.then(() => send(...args));
    tail = run.catch(() => undefined);
    return run;
  };
  return Object.assign(Object.create(client) as PoolClient, { query });
}
