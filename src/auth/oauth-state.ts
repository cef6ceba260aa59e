import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/queryable';
import type { Signer } from './signing';

export type OAuthProvider = 'intercom' | 'stripe';
export const STATE_TTL_MS = 10 * 60_000;

export type StateProblem = 'forged' | 'other_session' | 'expired' | 'replayed';

/** Why a returning OAuth redirect was refused, in words a person can act on. */
export class OAuthStateRejected extends Error {
  override name = 'OAuthStateRejected';
  constructor(readonly problem: StateProblem) {
    super(STATE_MESSAGES[problem]);
  }
}

const STATE_MESSAGES: Record<StateProblem, string> = {
  forged: 'This sign-in link was not issued by this service (its security check failed). Nothing was connected.',
  other_session:
    'This sign-in was started in another browser or session. Nothing was connected; start again from this page.',
  expired: 'This sign-in took longer than 10 minutes and expired. Nothing was connected; please start again.',
  replayed: 'This sign-in link has already been used. Nothing more was connected; start again if you need to.',
};

interface StatePayload {
  n: string;
  p: OAuthProvider;
  s: string;
  e: number;
}

/**
 * OAuth `state`: signed, bound to the browser session (its id hash), valid 10 minutes, single use (its nonce is
 * recorded in Postgres when used). Checked before any code is exchanged, so a forged or replayed redirect costs nothing.
 */
export class OAuthStates {
  constructor(
    private readonly db: Queryable,
    private readonly signer: Signer,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(sessionHash: string, provider: OAuthProvider): Promise<string> {
    const payload: StatePayload = {
      n: randomBytes(18).toString('base64url'),
      p: provider,
      s: sessionHash,
      e: this.now() + STATE_TTL_MS,
    };
    return this.signer.sign(Buffer.from(JSON.stringify(payload)).toString('base64url'));
  }

  /** Accepts the state once; every other outcome throws OAuthStateRejected. */
  async consume(state: string, sessionHash: string | undefined, provider: OAuthProvider): Promise<void> {
    const encoded = this.signer.verify(state);
    const payload = encoded === undefined ? undefined : parsePayload(encoded);
    if (!payload || payload.p !== provider) throw new OAuthStateRejected('forged');
    if (payload.s !== sessionHash) {
      // Signing in gives the browser a new session, so a redirect used twice comes back from another one: say so.
      const used = await this.db.query(`SELECT 1 FROM oauth_states WHERE nonce = $1`, [payload.n]);
      throw new OAuthStateRejected(used.rowCount === 1 ? 'replayed' : 'other_session');
    }
    if (this.now() >= payload.e) throw new OAuthStateRejected('expired');
    // Recorded when used, not when issued: an OAuth start writes nothing, so anonymous requests cannot fill the table.
    // The signature already proves we issued it; the row only makes it single-use.
    const used = await this.db.query(
      `INSERT INTO oauth_states (nonce, session_hash, provider, expires_at, used_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (nonce) DO NOTHING`,
      [payload.n, sessionHash, provider, new Date(payload.e)],
    );
    if (used.rowCount !== 1) throw new OAuthStateRejected('replayed');
  }
}

function parsePayload(encoded: string): StatePayload | undefined {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<StatePayload>;
    if (typeof value.n !== 'string' || typeof value.s !== 'string' || typeof value.e !== 'number') return undefined;
    if (value.p !== 'intercom' && value.p !== 'stripe') return undefined;
    return value as StatePayload;
  } catch {
    return undefined;
  }
}
