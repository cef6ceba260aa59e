import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config';
import { createDatabaseIfMissing } from '../../src/dev/postgres';
import { loadConfigOrExit, type Shutdown } from '../../src/infra/lifecycle';
import { isTemporalReachable } from '../../src/infra/temporal';
import { ensureTemporalServer, findTemporalCli } from '../../src/dev/temporal-cli';
import type { Logger } from '../../src/logger';
import { freePort } from '../../src/dev/ports';
import { say } from './cli';

/**
 * What a script run uses instead of `npm start`'s defaults, so it never collides with a service running on this
 * machine, nor with an earlier run:
 * - a fresh temp DATA_DIR (removed at the end): the embedded PostgreSQL (on a free port) and any Temporal dev server
 *   the run starts keep their files there;
 * - with DATABASE_URL set, a fresh database `sis_<name>_<random>` on that server instead (dropped at the end);
 * - the Temporal server on TEMPORAL_ADDRESS (default 127.0.0.1:7233) when one answers, else a dev server of its own
 *   (on free ports unless TEMPORAL_ADDRESS was set), stopped at the end;
 * - its own task queue, so a worker of another service on the same Temporal server never takes its tasks.
 */
export interface ScriptEnvironment {
  /** The environment's settings over the defaults (and the variables the user set). */
  config: Config;
  dataDir: string;
  /** Whether this run started the Temporal server it uses (and stops it at the end). */
  temporalStarted: boolean;
  /** Where the Temporal Web UI is, or null when the server runs headless. */
  temporalUiUrl: string | null;
}

export async function prepareEnvironment(options: {
  name: string;
  logger: Logger;
  shutdown: Shutdown;
  /** Start a dev server without its Web UI (nobody will look). */
  headless: boolean;
}): Promise<ScriptEnvironment> {
  const { name, logger, shutdown } = options;
  const base = loadConfigOrExit();
  const suffix = randomBytes(4).toString('hex');

  const dataDir = await mkdtemp(path.join(tmpdir(), `sis-${name}-`));
  // Registered first so it runs last, after the servers keeping files there have stopped. As root, the embedded
  // PostgreSQL runs as the postgres user, which must get through the (otherwise private) directory.
  shutdown.add('temp data dir', () => rm(dataDir, { recursive: true, force: true }));
  await chmod(dataDir, 0o755);

  const database = base.DATABASE_URL
    ? await freshDatabase(base.DATABASE_URL, `sis_${name}_${suffix}`, logger, shutdown)
    : undefined;

  let temporalAddress = base.TEMPORAL_ADDRESS;
  let uiPort = base.TEMPORAL_UI_PORT;
  let temporalUiUrl: string | null = base.TEMPORAL_UI_URL ?? `http://127.0.0.1:${uiPort}`;
  let temporalStarted = false;
  if (!(await isTemporalReachable(temporalAddress, base.TEMPORAL_NAMESPACE))) {
    if (!process.env.TEMPORAL_ADDRESS) {
      temporalAddress = `127.0.0.1:${await freePort()}`;
      uiPort = await freePort();
    }
    // On a fresh machine this is where a few minutes of `go install` go: progress in the scripts' own words.
    const cliPath = await findTemporalCli(base, logger, process.env, { say });
    const server = await ensureTemporalServer(
      {
        ...base,
        TEMPORAL_CLI_PATH: cliPath,
        TEMPORAL_ADDRESS: temporalAddress,
        TEMPORAL_UI_PORT: uiPort,
        TEMPORAL_UI_URL: undefined,
        DATA_DIR: dataDir,
      },
      // The dev server warns about tasks cancelled while our worker stops; only its errors are worth showing.
      process.env.LOG_LEVEL ? logger : logger.child({}, { level: 'error' }),
      { headless: options.headless },
    );
    shutdown.add('Temporal dev server', server.stop);
    temporalStarted = server.started;
    temporalUiUrl = server.uiUrl ?? null;
  }

  return {
    config: {
      ...base,
      DATA_DIR: dataDir,
      DATABASE_URL: database,
      EMBEDDED_POSTGRES_PORT: database ? base.EMBEDDED_POSTGRES_PORT : await freePort(),
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_UI_PORT: uiPort,
      TEMPORAL_UI_URL: temporalUiUrl ?? undefined,
      TEMPORAL_TASK_QUEUE: `${name}-${suffix}`,
      // The demo and bench install with a live key, as a real install does.
      ALLOW_TEST_MODE: false,
    },
    dataDir,
    temporalStarted,
    temporalUiUrl,
  };
}

/** A new database on DATABASE_URL's server, dropped at shutdown; the given database itself if we may not create one. */
async function freshDatabase(url: string, name: string, logger: Logger, shutdown: Shutdown): Promise<string> {
  try {
    await createDatabaseIfMissing(url, name);
  } catch (error) {
    logger.warn({ err: error }, `cannot create database ${name}: using DATABASE_URL's own database`);
    return url;
  }
  shutdown.add(`database ${name}`, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  });
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}

/** The service's settings as environment variables, for running it as a child process (`node src/main.ts`). */
export function configEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) env[key] = String(value);
  }
  return env;
}
