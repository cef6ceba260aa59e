import type { Pool } from 'pg';
import { ConfigError } from '../config';
import { SecretUnreadable, type SecretBox } from '../crypto/secret-box';
import { listSealedSecrets, setCredentials } from '../db/installs';
import type { Logger } from '../logger';

const FIELDS = ['stripeApiKeySealed', 'intercomTokenSealed', 'webhookSecretSealed'] as const;

/**
 * Start-up check of the encryption keys against what is stored: the newest install's secret must open, else the
 * process stops with one line (a wrong ENCRYPTION_KEY would otherwise look healthy and answer every webhook 500).
 * Then finishes a key rotation: every secret sealed with an older key of ENCRYPTION_KEYS is sealed again with the
 * newest, after which the old key can be removed.
 */
export async function checkSecretsAtRest(pool: Pool, secrets: SecretBox, logger: Logger): Promise<void> {
  const rows = await listSealedSecrets(pool);
  const newest = rows[0];
  const probe = newest && FIELDS.map((field) => newest[field]).find((sealed) => sealed !== undefined);
  if (newest && probe !== undefined) {
    try {
      secrets.open(probe);
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      throw new ConfigError(
        `invalid configuration: ENCRYPTION_KEY: it cannot open the secrets stored for install ${newest.installId}; ` +
          'start with the key they were sealed with, or rotate with ENCRYPTION_KEYS=<new key>,<old key>',
      );
    }
  }
  let resealed = 0;
  for (const row of rows) {
    const stale: Partial<Record<(typeof FIELDS)[number], string>> = {};
    for (const field of FIELDS) {
      const sealed = row[field];
      // A secret no key opens stays as it is (and is reported when used): re-sealing must never lose one.
      if (sealed !== undefined && isStale(secrets, sealed)) stale[field] = secrets.seal(secrets.open(sealed));
    }
    if (Object.keys(stale).length > 0 && (await setCredentials(pool, row.installId, stale))) resealed += 1;
  }
  if (resealed > 0) logger.info({ installs: resealed }, 'secrets re-sealed with the newest encryption key');
}

function isStale(secrets: SecretBox, sealed: string): boolean {
  try {
    return !secrets.isSealedWithNewestKey(sealed);
  } catch (err) {
    if (err instanceof SecretUnreadable) return false;
    throw err;
  }
}
