import pg from 'pg';
import type { Logger } from '../logger';
import { PriorityPool } from './priority-pool';

export interface PoolOptions {
  /** Connections per process. Activities, the API and migrations share it; Postgres' default limit is 100. */
  max?: number;
  applicationName?: string;
  /** How long a query may wait for a free connection before failing. */
  connectionTimeoutMillis?: number;
  /** Live work's queries get free connections first (PriorityPool): where imports and page reads queue. */
  liveWorkFirst?: boolean;
}

/** Connections a worker's activities run their queries on, each held for one query (or one short transaction). */
export const WORKER_POOL_OPTIONS: PoolOptions = {
  max: 30,
  applicationName: 'sis-worker',
  // Activities may queue for a connection behind a burst of writes; they have minutes, not seconds.
  connectionTimeoutMillis: 60_000,
  liveWorkFirst: true,
};

/**
 * Connections that only hold advisory locks: each running sync batch holds one (its contacts' locks) while it writes.
 * Their number bounds the batches writing at once in this worker (others wait their turn), whatever the installs.
 */
export const WORKER_LOCK_POOL_OPTIONS: PoolOptions = {
  max: 12,
  applicationName: 'sis-worker-locks',
  connectionTimeoutMillis: 60_000,
  liveWorkFirst: true,
};

/**
 * The API's connections: webhooks, status pages, installs and the outbox relay. A webhook's delivery runs as live work
 * (routes/webhooks.ts), so its few queries take the next free connection ahead of status reads and install steps: with
 * a thousand installs arriving at once (`npm run bench:fleet -- --mix 1x1000 --alone-sizes none --events-per-second
 * 2`), deliveries waited behind them, answered p50/p99 646 / 3,451 ms.
 */
export const API_POOL_OPTIONS: PoolOptions = {
  applicationName: 'sis-api',
  liveWorkFirst: true,
};

export function createPool(connectionString: string, logger: Logger, options: PoolOptions = {}): pg.Pool {
  const pool = new (options.liveWorkFirst ? PriorityPool : pg.Pool)({
    connectionString,
    max: options.max ?? 10,
    idleTimeoutMillis: 30_000,
    // Fail fast when the server is down so callers (the health check, webhooks answering 503) can say so.
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    application_name: options.applicationName ?? 'stripe-intercom-sync',
  });
  // An idle client losing its connection (server restart) is emitted here; unhandled it would crash the process.
  // The pool has already dropped that client, so logging is all there is to do.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
  return pool;
}
