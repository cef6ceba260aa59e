import { createHmac, timingSafeEqual } from 'node:crypto';
import { encryptionKeyBytes, type Config } from '../config';

/** HMAC-SHA256 signatures for values the browser carries (session cookie, OAuth state): `<value>.<signature>`. */
export interface Signer {
  sign(value: string): string;
  /** The value when the signature is ours, else undefined. */
  verify(signed: string): string | undefined;
}

/** `purpose` separates keys: a session cookie can never pass as an OAuth state, nor the other way round. */
export function createSigner(masterKey: Buffer, purpose: string): Signer {
  const key = createHmac('sha256', masterKey).update(`stripe-intercom-sync:${purpose}`).digest();
  const mac = (value: string) => createHmac('sha256', key).update(value).digest();
  return {
    sign: (value) => `${value}.${mac(value).toString('base64url')}`,
    verify(signed) {
      const dot = signed.lastIndexOf('.');
      if (dot <= 0) return undefined;
      const value = signed.slice(0, dot);
      const presented = Buffer.from(signed.slice(dot + 1), 'base64url');
      const expected = mac(value);
      return presented.length === expected.length && timingSafeEqual(presented, expected) ? value : undefined;
    },
  };
}

/** Session cookies and OAuth states are signed with keys derived from ENCRYPTION_KEY (one secret to manage). */
export const sessionSigner = (config: Pick<Config, 'ENCRYPTION_KEY'>): Signer =>
  createSigner(encryptionKeyBytes(config), 'session-cookie');
export const stateSigner = (config: Pick<Config, 'ENCRYPTION_KEY'>): Signer =>
  createSigner(encryptionKeyBytes(config), 'oauth-state');
