import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { sharedStripePacers } from './db/stripe-budgets';
import { createActivities, createInstallContexts, createInstallWorkflows, type ActivityDeps } from './activities';
import { catchUpAllInstallsOnce } from './activities/catch-up';
import type { Config } from './config';
import { openWorkerDatabases, runProcess } from './infra/entry-point';
import type { Shutdown } from './infra/lifecycle';
import { ensureSearchAttributes } from './infra/temporal';
import { secretBoxFor } from './crypto/secret-box';
import { checkSecretsAtRest } from './installs/secrets-at-rest';
import { startEventRetention } from './catch-up/retention';
import { temporalClientConnectionOptions, temporalConnectionOptions } from './infra/temporal-connection';
import { workerWorkflowBundle } from './infra/workflow-bundle';
import { createMetricsRegistry } from './infra/metrics';
import { startMetricsServer } from './infra/metrics-server';

export interface WorkerDeps {
  config: Pick<
    Config,
    | 'TEMPORAL_NAMESPACE'
    | 'TEMPORAL_TASK_QUEUE'
    | 'WORKER_ACTIVITY_SLOTS'
    | 'WORKER_WORKFLOW_TASK_SLOTS'
    | 'WORKER_LOCAL_ACTIVITY_SLOTS'
    | 'WORKER_MAX_CACHED_WORKFLOWS'
    | 'WORKER_TASKS'
  >;
  connection: NativeConnection;
  /** Whatever createActivities returns: the worker registers every function in it. */
  activities: object;
}

/** A worker for every workflow src/workflows exports and the given activities. Call run() to start polling. */
export async function createWorker({ config, connection, activities }: WorkerDeps): Promise<Worker> {
  const tasks = config.WORKER_TASKS;
  return Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    // Workflow code runs in the SDK's deterministic sandbox from a bundle: prebuilt by `npm run build`, or built from
    // source at start (a few seconds, in a child process so that webpack's memory is not kept by the worker's).
    ...(tasks === 'activities' ? {} : { workflowBundle: await workerWorkflowBundle() }),
    // A workflows worker keeps the activities for the local ones its workflows start, and polls no activity task.
    activities,
    enableNonLocalActivities: tasks !== 'workflows',
    // Chosen, not the SDK's defaults (src/config.ts says why each).
    maxConcurrentActivityTaskExecutions: config.WORKER_ACTIVITY_SLOTS,
    maxConcurrentWorkflowTaskExecutions: config.WORKER_WORKFLOW_TASK_SLOTS,
    maxConcurrentLocalActivityExecutions: config.WORKER_LOCAL_ACTIVITY_SLOTS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    // Running activities get this long to finish after shutdown() before they are cancelled.
    shutdownGraceTime: '10s',
  });
}

/** `npm run worker`: the worker alone, against DATABASE_URL and TEMPORAL_ADDRESS (docker-compose runs it this way). */
function main() {
  return runProcess(
    async ({ config, logger, shutdown }) => {
      const { pool, lockPool } = await openWorkerDatabases(config.DATABASE_URL, logger, shutdown);
      await checkSecretsAtRest(pool, secretBoxFor(config), logger);
      const clientConnection = await Connection.connect(temporalClientConnectionOptions(config));
      shutdown.add('temporal client connection', () => clientConnection.close());
      await ensureSearchAttributes(clientConnection, config.TEMPORAL_NAMESPACE, logger);
      const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE });
      const connection = await NativeConnection.connect(temporalConnectionOptions(config));
      shutdown.add('temporal worker connection', () => connection.close());
      const activityDeps = { config, pool, lockPool, logger, temporal, stripePacers: sharedStripePacers(pool) };
      const worker = await createWorker({ config, connection, activities: createActivities(activityDeps) });
      shutdown.add('worker', runWorker(worker, shutdown));
      catchUpAtStart(activityDeps);
      shutdown.add('event retention', startEventRetention(activityDeps));
      if (config.WORKER_METRICS_PORT !== undefined) {
        const metrics = await startMetricsServer(createMetricsRegistry(), {
          host: config.HOST,
          port: config.WORKER_METRICS_PORT,
          token: config.METRICS_TOKEN,
        });
        shutdown.add('metrics server', metrics.close);
        logger.info({ url: metrics.url }, 'worker metrics');
      }
      logger.info(
        { taskQueue: config.TEMPORAL_TASK_QUEUE, namespace: config.TEMPORAL_NAMESPACE, tasks: config.WORKER_TASKS },
        'worker running',
      );
    },
    { requireDatabaseUrl: true },
  );
}

/**
 * Feeds the sync workflows the Stripe events missed while no worker ran (deduplication makes repeats harmless).
 * Not awaited by callers: the worker polls meanwhile.
 */
export function catchUpAtStart(deps: ActivityDeps): void {
  const { pool, lockPool, logger } = deps;
  void catchUpAllInstallsOnce({
    pool,
    lockPool,
    logger,
    contexts: createInstallContexts(deps),
    workflows: createInstallWorkflows(deps),
  })
    .then((results) => {
      if (results === null) logger.info('another worker is catching up every install; this one leaves it to it');
    })
    .catch((err: unknown) => logger.warn({ err }, 'catch-up of Stripe events at start failed'));
}

/**
 * Starts polling and returns how to stop: shutdown() then wait for in-flight tasks. A worker that dies on its own
 * (fatal error) asks for the whole process to stop, with a failure exit code.
 */
export function runWorker(worker: Worker, shutdown: Pick<Shutdown, 'request'>): () => Promise<void> {
  const running = worker.run().catch((error: unknown) => shutdown.request('the worker failed', error));
  return async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
}

if (require.main === module) void main();
