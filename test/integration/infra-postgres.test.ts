import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DATABASE_NAME, ensurePostgres } from '../../src/dev/postgres';
import { testConfig, testLogger } from '../support/config';
import { freePort } from '../../src/dev/ports';

describe('ensurePostgres (embedded)', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sis-embedded-'));
    // As root the server runs as the postgres user, which must get through the (private) temp dir.
    await chmod(dir, 0o755);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  async function query(connectionString: string, sql: string) {
    const client = new pg.Client({ connectionString });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  it('initialises once, creates our database, and keeps its data across restarts', async () => {
    const config = testConfig({ DATA_DIR: dir, EMBEDDED_POSTGRES_PORT: await freePort() });
    const first = await ensurePostgres(config, testLogger());
    try {
      assert.equal(new URL(first.connectionString).pathname, `/${DATABASE_NAME}`);
      await query(first.connectionString, 'CREATE TABLE survives (id int); INSERT INTO survives VALUES (1)');
    } finally {
      await first.stop();
    }
    const second = await ensurePostgres(config, testLogger());
    try {
      assert.deepEqual(await query(second.connectionString, 'SELECT id FROM survives'), [{ id: 1 }]);
    } finally {
      await second.stop();
    }
    await assert.rejects(query(second.connectionString, 'SELECT 1'), /ECONNREFUSED/, 'stopped');
  });

  it('`npm run reconcile` beside a running service adopts its embedded server and leaves it running (issue 16)', async () => {
    const config = testConfig({ DATA_DIR: dir, EMBEDDED_POSTGRES_PORT: await freePort() });
    const service = await ensurePostgres(config, testLogger());
    try {
      assert.equal(service.adopted, false);
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/reconcile/cli.ts', '--install', 'ins_none'], {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...process.env, DATABASE_URL: '', DATA_DIR: dir, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /no install with id ins_none/);
      assert.deepEqual(await query(service.connectionString, 'SELECT 1 AS up'), [{ up: 1 }], 'still running');
    } finally {
      await service.stop();
    }
  });

  it('uses DATABASE_URL as given, starting nothing', async () => {
    const url = 'postgres://someone@db.example:5432/app';
    const handle = await ensurePostgres(
      testConfig({ DATABASE_URL: url, DATA_DIR: path.join(dir, 'unused') }),
      testLogger(),
    );
    assert.equal(handle.connectionString, url);
    await handle.stop();
  });
});
