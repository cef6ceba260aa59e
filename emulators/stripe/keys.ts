import { type Random } from './random';
import { type Mode } from './types';

export type KeyLookup = { status: 'valid'; mode: Mode } | { status: 'revoked' } | { status: 'unknown' };

/**
 * The account's API keys: `sk_live_…`, `rk_live_…`, `sk_test_…`; more can be added and any can be revoked.
 * Restricted keys may read everything the emulator serves, like a key with the install's read permissions.
 */
export class KeyRing {
  private readonly keys = new Map<string, Mode>();
  private readonly revoked = new Set<string>();
  /** OAuth access tokens expire (unix seconds on the emulator clock); API keys do not. */
  private readonly expiresAt = new Map<string, number>();

  constructor(private readonly random: Random) {}

  create(mode: Mode, restricted = false): string {
    const key = `${restricted ? 'rk' : 'sk'}_${mode}_${this.random.token(99)}`;
    this.keys.set(key, mode);
    return key;
  }

  /** An OAuth access token: a live or test secret key that stops working at `expiresAt`. */
  createExpiring(mode: Mode, expiresAt: number): string {
    const key = this.create(mode);
    this.expiresAt.set(key, expiresAt);
    return key;
  }

  revoke(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.revoked.add(key);
    return true;
  }

  lookup(key: string, now: number): KeyLookup {
    const mode = this.keys.get(key);
    const expiry = this.expiresAt.get(key);
    if (mode !== undefined && expiry !== undefined && now >= expiry) return { status: 'revoked' };
    if (mode !== undefined) return { status: 'valid', mode };
    return this.revoked.has(key) ? { status: 'revoked' } : { status: 'unknown' };
  }
}

/** How Stripe echoes a bad key: the prefix and the last four characters. */
export function redactKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(live|test)_/.exec(key)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - 4))}${key.slice(-4)}`;
}
