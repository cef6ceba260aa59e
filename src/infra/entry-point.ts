import type { Pool } from 'pg';
import { ConfigError, type Config } from '../config';
import { migrate } from '../db/migrate';
import { createPool, WORKER_LOCK_POOL_OPTIONS, WORKER_POOL_OPTIONS, type PoolOptions } from '../db/pool';
import { createLogger, type Logger } from '../logger';
import { createShutdown, loadConfigOrExit, requestShutdownOnSignals, type Shutdown } from './lifecycle';
import { installTemporalRuntime } from './temporal-runtime';

export interface ProcessContext<C extends Config = Config> {
  config: C;
  logger: Logger;
  shutdown: Shutdown;
}

/**
 * The life of every entry point (`npm start`, `npm run api`, `npm run worker`): config (one line and exit 1 when
 * bad), JSON logs, Temporal's runtime logging through pino, `start`, then wait for SIGINT/SIGTERM or a failure and
 * stop everything `start` registered, in reverse.
 */
export function runProcess(start: (context: ProcessContext) => Promise<void>): Promise<never>;
export function runProcess(
  start: (context: ProcessContext<Config & { DATABASE_URL: string }>) => Promise<void>,
  options: { requireDatabaseUrl: true },
): Promise<never>;
export async function runProcess(
  start: (context: ProcessContext<Config & { DATABASE_URL: string }>) => Promise<void>,
  options: { requireDatabaseUrl?: true } = {},
): Promise<never> {
  const config = options.requireDatabaseUrl
    ? loadConfigOrExit(process.env, { requireDatabaseUrl: true })
    : (loadConfigOrExit(process.env) as Config & { DATABASE_URL: string });
  const logger = createLogger(config.LOG_LEVEL);
  installTemporalRuntime(logger);
  const shutdown = createShutdown(logger);
  requestShutdownOnSignals(shutdown, logger);
  try {
    await start({ config, logger, shutdown });
  } catch (error) {
    // A setting found wrong only once running (a key that opens no stored secret): the same one line as at load.
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    shutdown.request('startup failed', error);
  }
  await shutdown.requested;
  process.exit(await shutdown.run());
}

/** The worker's pools: queries, and advisory locks (kept apart so lock holders never starve each other). */
export async function openWorkerDatabases(
  connectionString: string,
  logger: Logger,
  shutdown: Shutdown,
): Promise<{ pool: Pool; lockPool: Pool }> {
  const pool = await openDatabase(connectionString, logger, shutdown, WORKER_POOL_OPTIONS);
  return { pool, lockPool: poolClosedOnShutdown(connectionString, logger, shutdown, WORKER_LOCK_POOL_OPTIONS) };
}

/** A pool on the service's database with every migration applied, closed on shutdown. */
export async function openDatabase(
  connectionString: string,
  logger: Logger,
  shutdown: Shutdown,
  options: PoolOptions = {},
): Promise<Pool> {
  const pool = poolClosedOnShutdown(connectionString, logger, shutdown, options);
  await migrate(pool, logger);
  return pool;
}

function poolClosedOnShutdown(
  connectionString: string,
  logger: Logger,
  shutdown: Shutdown,
  options: PoolOptions,
): Pool {
  const pool = createPool(connectionString, logger, options);
  shutdown.add(`postgres pool${options.applicationName ? ` (${options.applicationName})` : ''}`, () => pool.end());
  return pool;
}
