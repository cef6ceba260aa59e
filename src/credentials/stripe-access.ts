import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { SecretBox } from '../crypto/secret-box';
import type { Queryable } from '../db/queryable';

/**
 * Stripe Apps OAuth (https://docs.stripe.com/stripe-apps/api-authentication/oauth): codes and refresh tokens are
 * exchanged at `POST /v1/oauth/token` with the app's secret key. Access tokens live 1 hour; the refresh token rolls on
 * every refresh (the old one stops working), so refreshes are serialised per grant and the new refresh token is stored
 * in the transaction that retires the old one.
 */

/** Stripe answered an OAuth exchange with an error (`invalid_grant`, …): the code or refresh token is spent. */
export class StripeOAuthRejected extends Error {
  override name = 'StripeOAuthRejected';
  constructor(
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

export interface StripeTokens {
  accessToken: string;
  refreshToken: string;
  expiresInSeconds: number;
  accountId: string;
  livemode: boolean;
}

/** Refresh when less than this is left, so every Stripe call of an activity (≤ a few minutes) has a valid token. */
export const ACCESS_TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;
const ACCESS_TOKEN_SECONDS = 3600;

type OAuthConfig = Pick<Config, 'STRIPE_API_BASE' | 'STRIPE_APP_SECRET_KEY'>;

/**
 * One POST, no retry: an authorization code may be exchanged only once (a second try revokes the connection), and a
 * refresh token that was spent by a request whose answer got lost cannot be spent again either.
 */
async function tokenRequest(config: OAuthConfig, form: Record<string, string>): Promise<StripeTokens> {
  if (!config.STRIPE_APP_SECRET_KEY) throw new Error('STRIPE_APP_SECRET_KEY is not configured');
  const base = config.STRIPE_API_BASE ?? 'https://api.stripe.com';
  const response = await fetch(`${base}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${config.STRIPE_APP_SECRET_KEY}:`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = typeof body.error === 'string' ? body.error : `http_${response.status}`;
    const description = typeof body.error_description === 'string' ? body.error_description : 'no description';
    if (response.status < 500) throw new StripeOAuthRejected(error, description);
    throw new Error(`Stripe OAuth answered ${response.status}: ${description}`);
  }
  const { access_token, refresh_token, stripe_user_id, livemode, expires_in } = body;
  if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof stripe_user_id !== 'string') {
    throw new Error('Stripe OAuth answer lacks access_token, refresh_token or stripe_user_id');
  }
  return {
    accessToken: access_token,
    refreshToken: refresh_token,
    accountId: stripe_user_id,
    livemode: livemode !== false,
    expiresInSeconds: typeof expires_in === 'number' ? expires_in : ACCESS_TOKEN_SECONDS,
  };
}

export function exchangeStripeCode(config: OAuthConfig, code: string): Promise<StripeTokens> {
  return tokenRequest(config, { grant_type: 'authorization_code', code });
}

export async function createStripeGrant(db: Queryable, secrets: SecretBox, tokens: StripeTokens): Promise<string> {
  const id = `grt_${randomBytes(9).toString('base64url')}`;
  await db.query(
    `INSERT INTO stripe_grants (id, stripe_account_id, livemode, access_token_enc, access_expires_at, refresh_token_enc)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      id,
      tokens.accountId,
      tokens.livemode,
      secrets.seal(tokens.accessToken),
      new Date(Date.now() + tokens.expiresInSeconds * 1000),
      secrets.seal(tokens.refreshToken),
    ],
  );
  return id;
}

/** The connection is gone for good (Stripe refused the refresh token): the install cannot go on without a reconnect. */
export class StripeGrantRevoked extends Error {
  override name = 'StripeGrantRevoked';
}

export const revokedGrantMessage = (detail: string): string =>
  `Stripe refused to renew access (the app was uninstalled or its access revoked: ${detail}). ` +
  'Connect Stripe again to resume syncing.';

interface GrantRow {
  access_token_enc: string;
  access_expires_at: Date;
  refresh_token_enc: string;
  status: 'active' | 'rejected';
  rejected_reason: string | null;
}

/**
 * The grant's access token, refreshed first when it has less than ACCESS_TOKEN_REFRESH_MARGIN_MS left. The row lock
 * serialises refreshes of one grant across every process; the refreshed pair is committed in the same transaction
 * that held the old refresh token, and a refresh Stripe refuses marks the grant and its installs `failed` with the
 * reason.
 */
export async function freshStripeAccessToken(
  pool: Pool,
  secrets: SecretBox,
  config: OAuthConfig,
  grantId: string,
): Promise<string> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<GrantRow>(
      `SELECT access_token_enc, access_expires_at, refresh_token_enc, status, rejected_reason
       FROM stripe_grants WHERE id = $1 FOR UPDATE`,
      [grantId],
    );
    const grant = rows[0];
    if (!grant) throw new StripeGrantRevoked(`Stripe connection ${grantId} does not exist`);
    if (grant.status === 'rejected') throw new StripeGrantRevoked(grant.rejected_reason ?? revokedGrantMessage(''));
    if (grant.access_expires_at.getTime() - Date.now() > ACCESS_TOKEN_REFRESH_MARGIN_MS) {
      await client.query('COMMIT');
      return secrets.open(grant.access_token_enc);
    }
    let tokens: StripeTokens;
    try {
      tokens = await tokenRequest(config, {
        grant_type: 'refresh_token',
        refresh_token: secrets.open(grant.refresh_token_enc),
      });
    } catch (err) {
      if (!(err instanceof StripeOAuthRejected)) throw err;
      const reason = revokedGrantMessage(`${err.error}: ${err.message}`);
      await client.query(`UPDATE stripe_grants SET status = 'rejected', rejected_reason = $2 WHERE id = $1`, [
        grantId,
        reason,
      ]);
      await client.query(
        `UPDATE installs SET status = 'failed', last_error = $2, updated_at = now()
         WHERE stripe_grant_id = $1 AND status <> 'disabled'`,
        [grantId, reason],
      );
      await client.query('COMMIT');
      throw new StripeGrantRevoked(reason);
    }
    await client.query(
      `UPDATE stripe_grants SET access_token_enc = $2, access_expires_at = $3, refresh_token_enc = $4,
         refreshed_at = now() WHERE id = $1`,
      [
        grantId,
        secrets.seal(tokens.accessToken),
        new Date(Date.now() + tokens.expiresInSeconds * 1000),
        secrets.seal(tokens.refreshToken),
      ],
    );
    await client.query('COMMIT');
    return tokens.accessToken;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The key an install's Stripe calls use: its own key, or its OAuth grant's access token (refreshed when it would
 * expire within ACCESS_TOKEN_REFRESH_MARGIN_MS). Throws StripeGrantRevoked when Stripe no longer honours the grant.
 */
export async function stripeKeyOfInstall(
  pool: Pool,
  secrets: SecretBox,
  config: OAuthConfig,
  install: { stripeApiKeySealed: string; stripeGrantId: string | null },
): Promise<string> {
  const { stripeGrantId } = install;
  return stripeGrantId
    ? freshStripeAccessToken(pool, secrets, config, stripeGrantId)
    : secrets.open(install.stripeApiKeySealed);
}

export async function setStripeGrant(db: Queryable, installId: string, grantId: string): Promise<void> {
  await db.query(`UPDATE installs SET stripe_grant_id = $2, updated_at = now() WHERE id = $1`, [installId, grantId]);
}

/** The install's grant becomes `grantId` (null: a pasted key, no grant); the grant it held is wiped if unused. */
export async function replaceStripeGrant(pool: Pool, installId: string, grantId: string | null): Promise<void> {
  const { rows } = await pool.query<{ previous: string | null }>(
    `UPDATE installs SET stripe_grant_id = $2, updated_at = now()
     FROM (SELECT stripe_grant_id AS previous FROM installs WHERE id = $1) AS before
     WHERE id = $1 RETURNING before.previous`,
    [installId, grantId],
  );
  const previous = rows[0]?.previous;
  if (previous && previous !== grantId) await wipeUnusedStripeGrants(pool, { grantId: previous });
}

/** A session let go of `grantId` (connected another account, signed in again): wiped unless something still uses it. */
export async function releaseStripeGrant(db: Queryable, grantId: string | null | undefined): Promise<void> {
  if (grantId) await wipeUnusedStripeGrants(db, { grantId });
}

/**
 * A grant no install and no current session refers to can never be used again, but its refresh token would stay
 * good for a year: its tokens are wiped and it is marked rejected. A re-install, a second "Connect Stripe" and an
 * abandoned browser flow each leave one. Without `grantId`, only grants older than an OAuth round trip are swept, so
 * a grant just created for a session is never caught between its insert and the session's update.
 */
export async function wipeUnusedStripeGrants(db: Queryable, only: { grantId?: string } = {}): Promise<number> {
  const result = await db.query(
    `UPDATE stripe_grants SET access_token_enc = '', refresh_token_enc = '', status = 'rejected',
       rejected_reason = coalesce(rejected_reason, 'no longer used by any install')
     WHERE access_token_enc <> ''
       AND ($1::text IS NULL AND created_at < now() - interval '1 hour' OR id = $1)
       AND NOT EXISTS (SELECT 1 FROM installs i WHERE i.stripe_grant_id = stripe_grants.id AND i.status <> 'disabled')
       AND NOT EXISTS (SELECT 1 FROM web_sessions s WHERE s.stripe_grant_id = stripe_grants.id AND s.expires_at > now())`,
    [only.grantId ?? null],
  );
  return result.rowCount ?? 0;
}
