import pg from 'pg';
import type { Logger } from '../logger';

export interface PoolOptions {
  /** Connections per process. Activities, the API and migrations share it; Postgres' default limit is 100. */
  max?: number;
  applicationName?: string;
}

export function createPool(connectionString: string, logger: Logger, options: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    // Fail fast when the server is down so callers (the health check, webhooks answering 503) can say so.
    connectionTimeoutMillis: 5_000,
    application_name: options.applicationName ?? 'stripe-intercom-sync',
  });
  // An idle client losing its connection (server restart) is emitted here; unhandled it would crash the process.
  // The pool has already dropped that client, so logging is all there is to do.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
  return pool;
}
