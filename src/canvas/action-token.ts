import { randomBytes } from 'node:crypto';
import { encryptionKeyBytes, type Config } from '../config';
import { createSigner, type Signer } from '../auth/signing';
import type { Queryable } from '../db/queryable';

/** How long a drawn card's buttons work: longer than a teammate keeps a conversation open, short enough to bound a replay. */
export const CANVAS_ACTION_TTL_MS = 60 * 60_000;

/** The key of a canvas's `stored_data` holding its action token. */
export const ACTION_TOKEN_KEY = 'action';

export type ActionTokenCheck = 'ok' | 'forged' | 'stale' | 'replayed';

interface TokenPayload {
  n: string;
  w: string;
  c: string;
  i: number;
}

/**
 * Replay protection for the inbox card's buttons. Intercom signs a Canvas Kit request's body (X-Body-Signature) but the
 * documented request carries no timestamp or nonce (initialize/submit request objects:
 * https://developers.intercom.com/docs/canvas-kit), so a captured request verifies forever. What Intercom does document
 * is that a canvas's `stored_data` comes back in the next request
 * (https://developers.intercom.com/docs/references/canvas-kit/responseobjects/stored-data): every card carries a token
 * signed by this service, bound to its workspace and contact, with its issue time and a nonce; a submit spends the
 * nonce once (Postgres), so a replayed submit is refused and an old card's button does nothing until redrawn.
 * An initialize request can only be checked by its signature: it carries nothing of ours.
 */
export class CanvasActionTokens {
  private readonly signer: Signer;

  constructor(
    private readonly db: Queryable,
    config: Pick<Config, 'ENCRYPTION_KEY'>,
    private readonly now: () => number = Date.now,
  ) {
    this.signer = canvasActionSigner(config);
  }

  issue(workspaceId: string, contactKey: string): string {
    const payload: TokenPayload = {
      n: randomBytes(16).toString('base64url'),
      w: workspaceId,
      c: contactKey,
      i: this.now(),
    };
    return this.signer.sign(Buffer.from(JSON.stringify(payload)).toString('base64url'));
  }

  /** Checks the token of a submit request and spends its nonce. */
  async consume(token: unknown, workspaceId: string, contactKey: string): Promise<ActionTokenCheck> {
    const encoded = typeof token === 'string' ? this.signer.verify(token) : undefined;
    const payload = encoded === undefined ? undefined : parsePayload(encoded);
    if (!payload || payload.w !== workspaceId || payload.c !== contactKey) return 'forged';
    const expiresAt = payload.i + CANVAS_ACTION_TTL_MS;
    if (expiresAt < this.now()) return 'stale';
    const { rowCount } = await this.db.query(
      `WITH pruned AS (DELETE FROM canvas_action_nonces WHERE expires_at < now())
       INSERT INTO canvas_action_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING`,
      [payload.n, new Date(expiresAt)],
    );
    return rowCount === 1 ? 'ok' : 'replayed';
  }
}

/** Action tokens are signed with a key derived from ENCRYPTION_KEY for this purpose only. */
export const canvasActionSigner = (config: Pick<Config, 'ENCRYPTION_KEY'>): Signer =>
  createSigner(encryptionKeyBytes(config), 'canvas-action');

function parsePayload(encoded: string): TokenPayload | undefined {
  try {
    const value = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<TokenPayload>;
    const valid =
      typeof value.n === 'string' &&
      typeof value.w === 'string' &&
      typeof value.c === 'string' &&
      typeof value.i === 'number';
    return valid ? (value as TokenPayload) : undefined;
  } catch {
    return undefined;
  }
}
