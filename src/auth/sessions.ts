import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/queryable';
import type { IntercomRegion } from '../vendors/intercom';
import type { Signer } from './signing';

export const SESSION_COOKIE = 'sis_session';
/** A login lasts a working day; the install itself does not depend on it. */
export const SESSION_TTL_MS = 12 * 3600_000;

/** One browser's login (an Intercom admin) and the credentials connected so far, before the install exists. */
export interface WebSession {
  /** SHA-256 of the cookie's random id: the key in the database, and what OAuth states are bound to. */
  idHash: string;
  /** Names the session where a secret must not appear (preview workflow ids). */
  publicId: string;
  csrfToken: string;
  intercom: {
    workspaceId: string;
    workspaceName: string;
    region: IntercomRegion;
    adminId: string;
    adminName: string;
    tokenSealed: string;
  } | null;
  stripe: { accountId: string; livemode: boolean; keySealed: string | null; grantId: string | null } | null;
}

interface SessionRow {
  id_hash: string;
  public_id: string;
  csrf_token: string;
  intercom_workspace_id: string | null;
  intercom_workspace_name: string | null;
  intercom_region: IntercomRegion | null;
  intercom_admin_id: string | null;
  intercom_admin_name: string | null;
  intercom_token_enc: string | null;
  stripe_account_id: string | null;
  stripe_livemode: boolean | null;
  stripe_key_enc: string | null;
  stripe_grant_id: string | null;
}

function toSession(row: SessionRow): WebSession {
  return {
    idHash: row.id_hash,
    publicId: row.public_id,
    csrfToken: row.csrf_token,
    intercom:
      row.intercom_workspace_id && row.intercom_token_enc
        ? {
            workspaceId: row.intercom_workspace_id,
            workspaceName: row.intercom_workspace_name ?? row.intercom_workspace_id,
            region: row.intercom_region ?? 'us',
            adminId: row.intercom_admin_id ?? '',
            adminName: row.intercom_admin_name ?? '',
            tokenSealed: row.intercom_token_enc,
          }
        : null,
    stripe: row.stripe_account_id
      ? {
          accountId: row.stripe_account_id,
          livemode: row.stripe_livemode ?? true,
          keySealed: row.stripe_key_enc,
          grantId: row.stripe_grant_id,
        }
      : null,
  };
}

const hashOf = (id: string): string => createHash('sha256').update(id).digest('base64url');
/** Values of a session that exist before it is stored: derived from the cookie's secret id, so they never change. */
const derivedFrom = (id: string, purpose: 'public' | 'csrf'): string =>
  createHash('sha256').update(`${purpose}:${id}`).digest('base64url');

/** A browser that has not signed in: nothing stored, everything derived from its cookie's id. */
function anonymousSession(id: string): WebSession {
  return {
    idHash: hashOf(id),
    publicId: `ses_${derivedFrom(id, 'public').slice(0, 12)}`,
    csrfToken: derivedFrom(id, 'csrf'),
    intercom: null,
    stripe: null,
  };
}

/**
 * Sessions in Postgres; the browser holds only a signed random id (HttpOnly cookie). A session is stored only once
 * someone signs in: an anonymous visit (the sign-in page, an OAuth start) writes nothing, so cookieless requests
 * cannot fill the table (issue 16). Signing in issues a new id (no session fixation).
 */
export class SessionStore {
  constructor(
    private readonly db: Queryable,
    private readonly signer: Signer,
  ) {}

  /** A new anonymous session and the cookie value that opens it; nothing is stored. */
  start(): { cookie: string; session: WebSession } {
    const id = randomBytes(32).toString('base64url');
    return { cookie: this.signer.sign(id), session: anonymousSession(id) };
  }

  /** The cookie's session: stored (signed in), anonymous (never signed in), or undefined (forged, or ended). */
  async load(cookie: string | undefined): Promise<WebSession | undefined> {
    const id = cookie && this.signer.verify(cookie);
    if (!id) return undefined;
    const result = await this.db.query<SessionRow & { expired: boolean }>(
      `SELECT *, expires_at <= now() AS expired FROM web_sessions WHERE id_hash = $1`,
      [hashOf(id)],
    );
    const row = result.rows[0];
    if (!row) return anonymousSession(id);
    return row.expired ? undefined : toSession(row);
  }

  async findByPublicId(publicId: string): Promise<WebSession | undefined> {
    const result = await this.db.query<SessionRow>(`SELECT * FROM web_sessions WHERE public_id = $1`, [publicId]);
    return result.rows[0] && toSession(result.rows[0]);
  }

  /**
   * Signing in to Intercom (again): a new session id with the admin's identity, starting from a clean slate (no Stripe
   * connection of another workspace carries over); the previous session, stored or not, ends. The caller sets the
   * returned cookie.
   */
  async signIn(
    previous: WebSession,
    intercom: NonNullable<WebSession['intercom']>,
  ): Promise<{ cookie: string; session: WebSession }> {
    // Signing in is rare and deliberate: the place to sweep sessions, OAuth states and previews that ended.
    await this.db.query(`DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`);
    await this.db.query(`DELETE FROM web_sessions WHERE expires_at < now()`);
    // A preview's emails (ids `preview:<public id>:<account>`) are kept only while its session lives.
    await this.db.query(
      `DELETE FROM preview_emails p
       WHERE NOT EXISTS (SELECT 1 FROM web_sessions s WHERE s.public_id = split_part(p.preview_id, ':', 2))`,
    );
    await this.destroy(previous.idHash);
    const { cookie, session } = this.start();
    const result = await this.db.query<SessionRow>(
      `INSERT INTO web_sessions (id_hash, public_id, csrf_token, expires_at, intercom_workspace_id,
         intercom_workspace_name, intercom_region, intercom_admin_id, intercom_admin_name, intercom_token_enc)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        session.idHash,
        session.publicId,
        session.csrfToken,
        new Date(Date.now() + SESSION_TTL_MS),
        intercom.workspaceId,
        intercom.workspaceName,
        intercom.region,
        intercom.adminId,
        intercom.adminName,
        intercom.tokenSealed,
      ],
    );
    return { cookie, session: toSession(result.rows[0] as SessionRow) };
  }

  /** Only a signed-in (stored) session holds a Stripe connection. */
  async setStripe(idHash: string, stripe: WebSession['stripe']): Promise<void> {
    await this.db.query(
      `UPDATE web_sessions SET stripe_account_id = $2, stripe_livemode = $3, stripe_key_enc = $4, stripe_grant_id = $5
       WHERE id_hash = $1`,
      [idHash, stripe?.accountId ?? null, stripe?.livemode ?? null, stripe?.keySealed ?? null, stripe?.grantId ?? null],
    );
  }

  /** Its used OAuth states stay until they expire: deleting them would let a used redirect pass once more. */
  async destroy(idHash: string): Promise<void> {
    await this.db.query(`DELETE FROM web_sessions WHERE id_hash = $1`, [idHash]);
  }
}
