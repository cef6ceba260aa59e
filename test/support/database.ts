import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createDatabaseIfMissing, startEmbeddedPostgres } from '../../src/dev/postgres';
import { randomSuffix, testLogger } from './config';
import { freePort } from '../../src/dev/ports';
import { registerTeardown } from './teardown';

export interface TestDatabase {
  name: string;
  connectionString: string;
  /** A pool on the database, ended by drop(). */
  pool: pg.Pool;
  /** Ends the pool and drops the database; also done after the run for databases a test left behind. */
  drop(): Promise<void>;
}

const defaultServer = 'postgres://postgres@127.0.0.1:5432/postgres';

let adminUrl: Promise<string> | undefined;

/**
 * A fresh database `sis_test_<random>` on TEST_DATABASE_URL's server (or an embedded one if that is down), migrated
 * unless `migrated: false`. `server`: another server's admin URL (one the test started itself).
 */
export async function createTestDatabase(options: { migrated?: boolean; server?: string } = {}): Promise<TestDatabase> {
  const admin = options.server ?? (await (adminUrl ??= findServer()));
  const name = `sis_test_${randomSuffix()}`;
  await createDatabaseIfMissing(admin, name);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  const connectionString = url.toString();
  const logger = testLogger();
  const pool = createPool(connectionString, logger, { max: 5 });
  let dropped: Promise<void> | undefined;
  const drop = () => (dropped ??= dropDatabase(admin, name, pool));
  registerTeardown(drop);
  if (options.migrated !== false) await migrate(pool, logger);
  return { name, connectionString, pool, drop };
}

async function dropDatabase(admin: string, name: string, pool: pg.Pool): Promise<void> {
  await pool.end().catch(() => undefined);
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    // FORCE: a test that leaked a connection must not leak the database too.
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function findServer(): Promise<string> {
  const preferred = process.env.TEST_DATABASE_URL || defaultServer;
  const probe = new pg.Client({ connectionString: preferred, connectionTimeoutMillis: 2_000 });
  try {
    await probe.connect();
    return preferred;
  } catch {
    return startEmbeddedServer();
  } finally {
    await probe.end().catch(() => undefined);
  }
}

async function startEmbeddedServer(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sis-test-postgres-'));
  // mkdtemp makes it private to us; as root the server runs as the postgres user, which must get through it.
  await chmod(dir, 0o755);
  const server = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'data'),
    port: await freePort(),
    logger: testLogger(),
  });
  registerTeardown(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return server.connectionString('postgres');
}

/** The pool (its queries and connections) with the queries containing `marker` counted: the relay's claims, say. */
export function countingPool(pool: pg.Pool, marker: string): { pool: pg.Pool; count: () => number } {
  let count = 0;
  const query = (text: unknown, ...rest: unknown[]): unknown => {
    const sql = typeof text === 'string' ? text : (text as { text?: string }).text;
    if (sql?.includes(marker)) count += 1;
    return (pool.query as (...args: unknown[]) => unknown).call(pool, text, ...rest);
  };
  const counted = { query, connect: () => pool.connect() } as unknown as pg.Pool;
  return { pool: counted, count: () => count };
}
