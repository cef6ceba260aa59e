import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logger';
import { withAdvisoryLock } from './locks';

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

const fileNamePattern = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Reads `NNN_name.sql` files in version order; rejects misnamed files and duplicate versions rather than skip them. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = fileNamePattern.exec(file);
    if (!match) throw new Error(`migration file ${file} is not named NNN_name.sql`);
    const version = Number(match[1]);
    if (migrations.some((migration) => migration.version === version)) {
      throw new Error(`two migration files have version ${match[1]}`);
    }
    const sql = await readFile(path.join(dir, file), 'utf8');
    // Line endings normalised so a Windows checkout does not look like an edited migration.
    const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
    migrations.push({ version, name: match[2] ?? '', file, sql, checksum });
  }
  return migrations;
}

export interface MigrateOptions {
  dir?: string;
}

/**
 * Applies pending migrations, each in its own transaction, recorded in schema_migrations. Processes starting at the
 * same time (API and worker) serialise on an advisory lock, so the second finds nothing to do. An applied migration
 * whose file changed is an error: the database no longer matches what the code says it is.
 */
export async function migrate(
  pool: Pool,
  logger: Logger,
  options: MigrateOptions = {},
): Promise<{ applied: string[] }> {
  const migrations = await readMigrations(options.dir ?? path.join(__dirname, 'migrations'));
  return withAdvisoryLock(pool, 'stripe-intercom-sync:migrate', async (client) => {
    await client.query(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        version     integer PRIMARY KEY,
        name        text NOT NULL,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now()
      )`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations',
    );
    const appliedByVersion = new Map(rows.map((row) => [row.version, row]));
    for (const row of rows) {
      const migration = migrations.find((candidate) => candidate.version === row.version);
      if (!migration) logger.warn({ version: row.version, name: row.name }, 'applied migration has no file here');
      else if (migration.checksum !== row.checksum) {
        throw new Error(`migration ${migration.file} was changed after it was applied; add a new migration instead`);
      }
    }
    const applied: string[] = [];
    for (const migration of migrations.filter((candidate) => !appliedByVersion.has(candidate.version))) {
      await applyOne(client, migration);
      logger.info({ migration: migration.file }, 'applied migration');
      applied.push(migration.file);
    }
    return { applied };
  });
}

async function applyOne(client: PoolClient, migration: Migration) {
  await client.query('BEGIN');
  try {
    await client.query(migration.sql);
    await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`migration ${migration.file} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
