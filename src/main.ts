import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from './activities';
import { startApiServer } from './api/server';
import type { Config } from './config';
import { migrate } from './db/migrate';
import { createPool } from './db/pool';
import { createShutdown, loadConfigOrExit, requestShutdownOnSignals, type Shutdown } from './infra/lifecycle';
import { createMetricsRegistry } from './infra/metrics';
import { ensurePostgres } from './infra/postgres';
import { ensureTemporalServer } from './infra/temporal-cli';
import { installTemporalRuntime } from './infra/temporal-runtime';
import { createLogger, type Logger } from './logger';
import { catchUpAtStart, createWorker, runWorker } from './worker';

/**
 * `npm start`: everything on one machine. Reuses the Temporal server on TEMPORAL_ADDRESS or starts a dev server;
 * uses DATABASE_URL or an embedded PostgreSQL; migrates; runs the worker and the API in this process. On SIGINT or
 * SIGTERM it stops in reverse: API (no new work), worker (drains), connections, then the servers it started.
 */
async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  installTemporalRuntime(logger);
  const shutdown = createShutdown(logger);
  requestShutdownOnSignals(shutdown, logger);
  const started = Date.now();
  try {
    const urls = await start(config, logger, shutdown);
    logger.info(
      { ...urls, seconds: (Date.now() - started) / 1000 },
      `ready: API ${urls.api}, Temporal UI ${urls.temporalUi}`,
    );
  } catch (error) {
    shutdown.request('startup failed', error);
  }
  await shutdown.requested;
  process.exit(await shutdown.run());
}

async function start(config: Config, logger: Logger, shutdown: Shutdown) {
  const temporalServer = await ensureTemporalServer(config, logger);
  if (temporalServer.started) shutdown.add('Temporal dev server', temporalServer.stop);
  const postgres = await ensurePostgres(config, logger);
  if (postgres.started) shutdown.add('embedded PostgreSQL', postgres.stop);

  const pool = createPool(postgres.connectionString, logger);
  shutdown.add('postgres pool', () => pool.end());
  await migrate(pool, logger);

  const address = config.TEMPORAL_ADDRESS;
  const clientConnection = await Connection.connect({ address });
  shutdown.add('temporal client connection', () => clientConnection.close());
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
  const workerConnection = await NativeConnection.connect({ address });
  shutdown.add('temporal worker connection', () => workerConnection.close());

  const activityDeps = { config, pool, logger, temporal };
  const worker = await createWorker({
    config,
    connection: workerConnection,
    activities: createActivities(activityDeps),
  });
  shutdown.add('worker', runWorker(worker, shutdown));
  catchUpAtStart(activityDeps);

  const api = await startApiServer({ config, pool, temporal, logger, metrics: createMetricsRegistry() });
  shutdown.add('API', api.close);
  return { api: api.url, temporalUi: temporalServer.uiUrl ?? 'none' };
}

void main();
