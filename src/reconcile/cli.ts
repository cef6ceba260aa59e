import { parseArgs } from 'node:util';
import pino from 'pino';
import { Client, Connection } from '@temporalio/client';
import { secretBoxFor } from '../crypto/secret-box';
import { temporalClientConnectionOptions } from '../infra/temporal-connection';
import { createInstallWorkflows } from '../activities';
import { openDatabase } from '../infra/entry-point';
import { createShutdown, loadConfigOrExit } from '../infra/lifecycle';
import { ensurePostgres } from '../dev/postgres';
import { createLogger } from '../logger';
import { reconcileInstall } from './reconcile';

const USAGE = 'usage: npm run reconcile -- --install <ins_…> [--fix]';

/**
 * `npm run reconcile -- --install <id> [--fix]`: prints the install's drift report (JSON) on stdout. Exit status 0
 * when there is no drift, 1 when there is (after --fix: the customers were handed back to the sync), 2 on bad usage.
 * Uses the service's configuration (DATABASE_URL, or the embedded PostgreSQL under DATA_DIR; TEMPORAL_* for --fix).
 */
async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs({ options: { install: { type: 'string' }, fix: { type: 'boolean', default: false } } }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!options.install) {
    process.stderr.write(`--install is required\n${USAGE}\n`);
    return 2;
  }
  const config = loadConfigOrExit(process.env);
  // Logs go to stderr: stdout carries the report only.
  const logger = createLogger(config.LOG_LEVEL, 'reconcile', pino.destination(2));
  const shutdown = createShutdown(logger);
  try {
    const postgres = await ensurePostgres(config, logger);
    // A server that was already running is a running service's (npm start beside us): never stop it.
    if (postgres.started && !postgres.adopted) shutdown.add('embedded PostgreSQL', postgres.stop);
    const pool = await openDatabase(postgres.connectionString, logger, shutdown);
    const connection = Connection.lazy(temporalClientConnectionOptions(config));
    shutdown.add('temporal connection', () => connection.close());
    const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    const report = await reconcileInstall(
      {
        pool,
        config,
        secrets: secretBoxFor(config),
        workflows: createInstallWorkflows({ config, temporal }),
      },
      options.install,
      { fix: options.fix ?? false },
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.drifted.length === 0 ? 0 : 1;
  } catch (error) {
    process.stderr.write(`reconcile failed: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await shutdown.run();
  }
}

void main().then((code) => process.exit(code));
