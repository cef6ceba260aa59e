import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/queryable';
import { replaceFinSecret } from '../db/fin-secrets';

/** The SHA-256 a Fin secret is stored and looked up by. */
export const finSecretSha256 = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** How many of a secret's last characters the status page shows again (4 of 43 random ones: nothing to guess from). */
const HINT_LENGTH = 4;

/**
 * Makes the install's Fin secret, or replaces it (the old one stops at once). The secret itself is returned here only:
 * its SHA-256 and its last characters are kept.
 */
export async function issueFinSecret(db: Queryable, installId: string): Promise<{ secret: string; createdAt: Date }> {
  const secret = `fin_${randomBytes(32).toString('base64url')}`;
  const createdAt = await replaceFinSecret(db, installId, finSecretSha256(secret), secret.slice(-HINT_LENGTH));
  return { secret, createdAt };
}
