import type { Pool } from 'pg';
import { ConfigError } from '../config';
import { SecretUnreadable, type SecretBox } from '../crypto/secret-box';
import { listSealedRows, replaceSealedValue, SEALED_TABLES, type SealedRow } from '../db/sealed-columns';
import type { Logger } from '../logger';

/**
 * Start-up check of the encryption keys against what is stored: in every table that holds sealed secrets (installs,
 * Stripe OAuth grants, browser sessions), the newest row's secret must open, else the process stops with one line
 * (a wrong ENCRYPTION_KEY would otherwise look healthy and fail every install later). Then finishes a key rotation:
 * every secret sealed with an older key of ENCRYPTION_KEYS, in every table, is sealed again with the newest, after
 * which the old key can be removed.
 */
export async function checkSecretsAtRest(pool: Pool, secrets: SecretBox, logger: Logger): Promise<void> {
  const tables = await Promise.all(
    SEALED_TABLES.map(async (spec) => ({ spec, rows: await listSealedRows(pool, spec) })),
  );
  for (const { spec, rows } of tables) probeNewest(secrets, spec.table, rows[0]);
  const resealed: Record<string, number> = {};
  for (const { spec, rows } of tables) {
    for (const row of rows) {
      for (const [column, sealed] of row.sealed) {
        // A secret no key opens stays as it is (and is reported when used): re-sealing must never lose one.
        if (!isStale(secrets, sealed)) continue;
        const next = secrets.seal(secrets.open(sealed));
        if (await replaceSealedValue(pool, spec, row.id, column, sealed, next)) {
          resealed[spec.table] = (resealed[spec.table] ?? 0) + 1;
        }
      }
    }
  }
  if (Object.keys(resealed).length > 0) {
    logger.info({ resealed }, 'secrets re-sealed with the newest encryption key');
  }
}

function probeNewest(secrets: SecretBox, table: string, newest: SealedRow | undefined): void {
  if (!newest) return;
  try {
    for (const sealed of newest.sealed.values()) secrets.open(sealed);
  } catch (err) {
    if (!(err instanceof SecretUnreadable)) throw err;
    const row = table === 'installs' ? `install ${newest.id}` : `the newest row of ${table}`;
    throw new ConfigError(
      `invalid configuration: ENCRYPTION_KEY: it cannot open the secrets stored for ${row}; ` +
        'start with the key they were sealed with, or rotate with ENCRYPTION_KEYS=<new key>,<old key>',
    );
  }
}

function isStale(secrets: SecretBox, sealed: string): boolean {
  try {
    return !secrets.isSealedWithNewestKey(sealed);
  } catch (err) {
    if (err instanceof SecretUnreadable) return false;
    throw err;
  }
}
