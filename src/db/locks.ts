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
 * Runs `work` holding the advisory lock on `key` if no other session holds it; without running it, null otherwise.
 * The lock is held on a connection of `lockPool` for as long as the work runs, and goes with it if the process dies.
 */
export async function unlessLockedElsewhere<T>(lockPool: Pool, key: string, work: () => Promise<T>): Promise<T | null> {
  const client = await lockPool.connect();
  try {
    const { rows } = await client.query<{ taken: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken',
      [key],
    );
    if (rows[0]?.taken !== true) return null;
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
    }
  } finally {
    client.release();
  }
}

/**
 * Runs `work` holding the advisory locks of every key at once, taken in one query on a connection of `lockPool` that
 * does nothing else meanwhile: the work runs its queries wherever it likes (in parallel, on the main pool), since
 * session-level advisory locks guard the keys, not the connection's queries. Keeping the lock holders in a pool of
 * their own means a holder never waits for a connection that another holder has: the main pool's connections are
 * only ever held for one query. Taken in a fixed order (by hash), so two holders of overlapping sets never wait on
 * each other in a cycle.
 */
export async function withAdvisoryLocks<T>(lockPool: Pool, keys: string[], work: () => Promise<T>): Promise<T> {
  const client = await lockPool.connect();
  try {
    // A locking function over an ordered subquery takes the locks in that order (the pattern the manual shows as
    // safe: https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS).
    await client.query(
      `SELECT pg_advisory_lock(ordered.key) FROM
         (SELECT DISTINCT hashtextextended(k, 0) AS key FROM unnest($1::text[]) AS k ORDER BY 1) AS ordered`,
      [keys],
    );
    try {
      return await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock_all()');
    }
  } finally {
    client.release();
  }
}
