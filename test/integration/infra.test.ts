import assert from 'node:assert/strict';
import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Router from '@koa/router';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { createActivities } from '../../src/activities';
import { createApp } from '../../src/api/app';
import { HttpError, type ErrorBody } from '../../src/api/errors';
import { startApiServer, type ApiServer } from '../../src/api/server';
import { migrate, readMigrations } from '../../src/db/migrate';
import { createPool, WORKER_LOCK_POOL_OPTIONS } from '../../src/db/pool';
import { createMetricsRegistry } from '../../src/infra/metrics';
import { SEARCH_ATTRIBUTES } from '../../src/infra/temporal';
import { createWorker } from '../../src/worker';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { freePort } from '../../src/dev/ports';
import { ensureTemporal } from '../support/temporal';
import { testConfig, testLogger } from '../support/config';

const migrationsDir = path.resolve(__dirname, '../../src/db/migrations');

describe('infra (real Postgres, real Temporal dev server)', () => {
  let db: TestDatabase;
  let connection: Connection;
  let temporal: Client;
  let config: ReturnType<typeof testConfig>;
  const logger = testLogger();

  before(async () => {
    const server = await ensureTemporal();
    db = await createTestDatabase();
    config = testConfig({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace });
    connection = await Connection.connect({ address: server.address });
    temporal = new Client({ connection, namespace: server.namespace });
  });

  after(async () => {
    await connection?.close();
    await db?.drop();
  });

  describe('migrations', () => {
    it('creates every table, and a second run applies nothing', async () => {
      const { rows } = await db.pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
      );
      const tables = rows.map((row) => row.table_name);
      for (const table of ['schema_migrations', 'installs', 'imports', 'stripe_customers', 'stripe_events']) {
        assert.ok(tables.includes(table), `${table} missing from ${tables.join(', ')}`);
      }
      assert.deepEqual(await migrate(db.pool, logger), { applied: [] });
      const recorded = await db.pool.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
      assert.equal(recorded.rows[0].name, 'initial');
      assert.match(recorded.rows[0].checksum, /^[0-9a-f]{64}$/);
    });

    it('lets processes that start together migrate once between them', async () => {
      const fresh = await createTestDatabase({ migrated: false });
      try {
        const other = createPool(fresh.connectionString, logger);
        const results = await Promise.all([
          migrate(fresh.pool, logger),
          migrate(other, logger),
          migrate(fresh.pool, logger),
        ]);
        await other.end();
        const applied = results.flatMap((result) => result.applied);
        const files = (await readMigrations(migrationsDir)).map((migration) => migration.file);
        assert.deepEqual(applied.sort(), files, 'each migration applied exactly once');
      } finally {
        await fresh.drop();
      }
    });

    it('refuses to run when an applied migration file has changed', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'sis-migrations-'));
      try {
        await cp(migrationsDir, dir, { recursive: true });
        await appendFile(path.join(dir, '001_initial.sql'), '\n-- edited after it was applied\n');
        await assert.rejects(migrate(db.pool, logger, { dir }), /001_initial\.sql was changed after it was applied/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('API', () => {
    const servers: ApiServer[] = [];
    const start = async (overrides: { pool?: typeof db.pool; temporal?: Client } = {}) => {
      const api = await startApiServer({
        config,
        pool: overrides.pool ?? db.pool,
        temporal: overrides.temporal ?? temporal,
        logger,
        metrics: createMetricsRegistry(),
      });
      servers.push(api);
      return api;
    };
    after(async () => Promise.all(servers.map((server) => server.close())));

    it('reports both dependencies ok on /healthz, and serves /metrics', async () => {
      const api = await start();
      const response = await fetch(`${api.url}/healthz`);
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, { ok?: boolean }> & { status: string };
      assert.equal(body.status, 'ok');
      assert.equal(body.temporal?.ok, true);
      assert.equal(body.postgres?.ok, true);
      assert.ok(response.headers.get('x-request-id'));

      const metrics = await (await fetch(`${api.url}/metrics`)).text();
      assert.match(metrics, /http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 1/);
      assert.match(metrics, /process_cpu_user_seconds_total/);
    });

    it('answers 503 naming Postgres when it is down', async () => {
      const deadPool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/nothing`, logger);
      try {
        const api = await start({ pool: deadPool });
        const response = await fetch(`${api.url}/healthz`);
        assert.equal(response.status, 503);
        const body = (await response.json()) as Record<string, { ok?: boolean; error?: string }> & { status: string };
        assert.equal(body.status, 'unavailable');
        assert.equal(body.postgres?.ok, false);
        assert.equal(body.postgres?.error, 'unreachable');
        assert.equal(body.temporal?.ok, true);
      } finally {
        await deadPool.end();
      }
    });

    it('answers 503 naming Temporal when it is down, within the check timeout', async () => {
      const deadConnection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
      try {
        const api = await start({ temporal: new Client({ connection: deadConnection }) });
        const started = Date.now();
        const response = await fetch(`${api.url}/healthz`);
        assert.equal(response.status, 503);
        assert.ok(Date.now() - started < 4_000, `the probe answered in ${Date.now() - started} ms`);
        const body = (await response.json()) as Record<string, { ok?: boolean }>;
        assert.equal(body.temporal?.ok, false);
        assert.equal(body.postgres?.ok, true);
      } finally {
        await deadConnection.close();
      }
    });

    it('maps thrown errors to one JSON shape without leaking internals', async () => {
      const router = new Router();
      router.get('/http-error', () => {
        throw new HttpError(409, 'conflict', 'already installed', 'stripe.apiKey');
      });
      router.get('/zod-error', () => {
        z.object({ stripe: z.object({ apiKey: z.string() }) }).parse({ stripe: { apiKey: 7 } });
      });
      router.get('/bug', () => {
        throw new Error('password=hunter2 at db.internal:5432');
      });
      const app = createApp({ config, pool: db.pool, temporal, logger, routers: [router] });
      const server = app.listen(0);
      try {
        const port = (server.address() as { port: number }).port;
        const get = async (route: string) => {
          const response = await fetch(`http://127.0.0.1:${port}${route}`);
          return { status: response.status, body: (await response.json()) as ErrorBody };
        };
        assert.deepEqual(await get('/http-error'), {
          status: 409,
          body: { error: { code: 'conflict', message: 'already installed', field: 'stripe.apiKey' } },
        });
        const zod = await get('/zod-error');
        assert.equal(zod.status, 400);
        assert.equal(zod.body.error.code, 'invalid_request');
        assert.equal(zod.body.error.field, 'stripe.apiKey');
        assert.deepEqual(await get('/bug'), {
          status: 500,
          body: { error: { code: 'internal_error', message: 'internal error' } },
        });
        assert.equal((await get('/nowhere')).body.error.code, 'not_found');
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('Temporal', () => {
    it('has our search attributes registered', async () => {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({
        namespace: config.TEMPORAL_NAMESPACE,
      });
      for (const key of SEARCH_ATTRIBUTES) assert.ok(customAttributes?.[key.name], `${key.name} registered`);
    });

    it('runs a worker with the exported workflows and activities, and stops it cleanly', async () => {
      const workerConnection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
      const lockPool = createPool(db.connectionString, logger, WORKER_LOCK_POOL_OPTIONS);
      try {
        const activities = createActivities({ config, pool: db.pool, lockPool, logger, temporal });
        const worker = await createWorker({ config, connection: workerConnection, activities });
        await worker.runUntil(async () => assert.equal(worker.getState(), 'RUNNING'));
        assert.equal(worker.getState(), 'STOPPED');
      } finally {
        await lockPool.end();
        await workerConnection.close();
      }
    });
  });
});
