import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from './activities';
import { API_POOL_OPTIONS } from './db/pool';
import { sharedStripePacers } from './db/stripe-budgets';
import { startApiServer } from './api/server';
import type { Config } from './config';
import { openDatabase, openWorkerDatabases } from './infra/entry-point';
import type { Shutdown } from './infra/lifecycle';
import { createMetricsRegistry } from './infra/metrics';
import { ensurePostgres } from './dev/postgres';
import { ensureTemporalServer } from './dev/temporal-cli';
import { ensureSearchAttributes } from './infra/temporal';
import {
  temporalClientConnectionOptions,
  temporalConnectionOptions,
  usesTemporalTls,
} from './infra/temporal-connection';
import type { Logger } from './logger';
import { catchUpAtStart, createWorker, runWorker } from './worker';
import { secretBoxFor } from './crypto/secret-box';
import { checkSecretsAtRest } from './installs/secrets-at-rest';
import { startEventRetention } from './catch-up/retention';

export interface RunningService {
  apiUrl: string;
  temporalUiUrl: string | null;
  pool: Pool;
  temporal: Client;
}

/**
 * The whole service in one process: reuses the Temporal server on TEMPORAL_ADDRESS or starts a dev server; uses
 * DATABASE_URL or an embedded PostgreSQL; migrates; runs the worker (unless `worker: false`) and the API. Every
 * part is registered on `shutdown`, which stops them in reverse: API (no new work), worker (drains), connections,
 * then the servers it started. Used by `npm start`, the demo and the end-to-end tests.
 */
export async function startService(
  config: Config,
  logger: Logger,
  shutdown: Shutdown,
  options: { worker?: boolean } = {},
): Promise<RunningService> {
  // A TLS frontend is a cluster or Temporal Cloud: connect to it, never start a dev server in its place.
  const remoteTemporal = usesTemporalTls(config);
  const temporalServer = remoteTemporal ? undefined : await ensureTemporalServer(config, logger);
  if (temporalServer?.started) shutdown.add('Temporal dev server', temporalServer.stop);
  const postgres = await ensurePostgres(config, logger);
  if (postgres.started) shutdown.add('embedded PostgreSQL', postgres.stop);

  // The API gets its own pool: contact writes waiting on Intercom's rate limit must never starve status or webhooks.
  const pool = await openDatabase(postgres.connectionString, logger, shutdown, API_POOL_OPTIONS);
  await checkSecretsAtRest(pool, secretBoxFor(config), logger);

  const clientConnection = await Connection.connect(temporalClientConnectionOptions(config));
  shutdown.add('temporal client connection', () => clientConnection.close());
  if (remoteTemporal) await ensureSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE, logger);
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });

  // One Stripe budget per account, in PostgreSQL: this process's worker and drift jobs, and every other process.
  const stripePacers = sharedStripePacers(pool);
  if (options.worker !== false) {
    const workerConnection = await NativeConnection.connect(temporalConnectionOptions(config));
    shutdown.add('temporal worker connection', () => workerConnection.close());
    const { pool: workerPool, lockPool } = await openWorkerDatabases(postgres.connectionString, logger, shutdown);
    const activityDeps = { config, pool: workerPool, lockPool, logger, temporal, stripePacers };
    const worker = await createWorker({
      // The one process runs everything: WORKER_TASKS splits the work of `npm run worker` processes only.
      config: { ...config, WORKER_TASKS: 'all' },
      connection: workerConnection,
      activities: createActivities(activityDeps),
    });
    shutdown.add('worker', runWorker(worker, shutdown));
    catchUpAtStart(activityDeps);
    shutdown.add('event retention', startEventRetention(activityDeps));
  }

  const api = await startApiServer({ config, pool, temporal, logger, metrics: createMetricsRegistry(), stripePacers });
  shutdown.add('API', api.close);
  return { apiUrl: api.url, temporalUiUrl: temporalServer?.uiUrl ?? null, pool, temporal };
}
