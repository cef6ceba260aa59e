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
