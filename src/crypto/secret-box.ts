import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { encryptionKeys, type Config } from '../config';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest. Sealed form: `v1.<iv>.<tag>.<ciphertext>` (base64url parts). With several keys
 * (rotation, newest first) the newest seals and each opens; GCM's tag tells which key a secret was sealed with.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
  /** Whether the newest key sealed it; false means the next write should re-seal it. Throws if no key opens it. */
  isSealedWithNewestKey(sealed: string): boolean;
}

export class SecretUnreadable extends Error {
  override name = 'SecretUnreadable';
}

export function createSecretBox(keys: Buffer | Buffer[]): SecretBox {
  const ring = Array.isArray(keys) ? keys : [keys];
  const newest = ring[0];
  if (!newest || ring.some((key) => key.length !== 32)) throw new Error('secret box keys must be 32 bytes');

  /** The plaintext and the position of the key that opened it. */
  function openWithIndex(sealed: string): { plaintext: string; keyIndex: number } {
    const [version, iv, tag, ciphertext] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
      throw new SecretUnreadable('unrecognised sealed secret');
    }
    for (const [keyIndex, key] of ring.entries()) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
        return { plaintext: plaintext.toString('utf8'), keyIndex };
      } catch {
        // Authentication failed: sealed with another key (or altered); try the next one.
      }
    }
    throw new SecretUnreadable('no configured encryption key opens this secret');
  }

  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', newest, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ciphertext]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open: (sealed) => openWithIndex(sealed).plaintext,
    isSealedWithNewestKey: (sealed) => openWithIndex(sealed).keyIndex === 0,
  };
}

/** The service's secret box: ENCRYPTION_KEYS (newest first) or ENCRYPTION_KEY. */
export function secretBoxFor(config: Pick<Config, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS'>): SecretBox {
  return createSecretBox(encryptionKeys(config));
}
