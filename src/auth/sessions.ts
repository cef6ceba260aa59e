import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../db/queryable';
import type { IntercomRegion } from '../db/installs';
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

/** Sessions in Postgres; the browser holds only a signed random id (HttpOnly cookie). */
export class SessionStore {
  constructor(
    private readonly db: Queryable,
    private readonly signer: Signer,
  ) {}

  /** A new, empty session and the cookie value that opens it. */
  async create(): Promise<{ cookie: string; session: WebSession }> {
    // Starting a session is rare enough to sweep the ones that ended (and their OAuth states) on the way.
    await this.db.query(`DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'`);
    await this.db.query(`DELETE FROM web_sessions WHERE expires_at < now()`);
    const id = randomBytes(32).toString('base64url');
    const result = await this.db.query<SessionRow>(
      `INSERT INTO web_sessions (id_hash, public_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4) RETURNING *`,
      [
        hashOf(id),
        `ses_${randomBytes(9).toString('base64url')}`,
        randomBytes(24).toString('base64url'),
        new Date(Date.now() + SESSION_TTL_MS),
      ],
    );
    return { cookie: this.signer.sign(id), session: toSession(result.rows[0] as SessionRow) };
  }

  async load(cookie: string | undefined): Promise<WebSession | undefined> {
    const id = cookie && this.signer.verify(cookie);
    if (!id) return undefined;
    const result = await this.db.query<SessionRow>(
      `SELECT * FROM web_sessions WHERE id_hash = $1 AND expires_at > now()`,
      [hashOf(id)],
    );
    return result.rows[0] && toSession(result.rows[0]);
  }

  async findByPublicId(publicId: string): Promise<WebSession | undefined> {
    const result = await this.db.query<SessionRow>(`SELECT * FROM web_sessions WHERE public_id = $1`, [publicId]);
    return result.rows[0] && toSession(result.rows[0]);
  }

  /** Signing in to Intercom (again) starts from a clean slate: no Stripe connection of another workspace carries over. */
  async setIntercom(idHash: string, intercom: NonNullable<WebSession['intercom']>): Promise<void> {
    await this.db.query(
      `UPDATE web_sessions SET intercom_workspace_id = $2, intercom_workspace_name = $3, intercom_region = $4,
         intercom_admin_id = $5, intercom_admin_name = $6, intercom_token_enc = $7,
         stripe_account_id = NULL, stripe_livemode = NULL, stripe_key_enc = NULL, stripe_grant_id = NULL
       WHERE id_hash = $1`,
      [
        idHash,
        intercom.workspaceId,
        intercom.workspaceName,
        intercom.region,
        intercom.adminId,
        intercom.adminName,
        intercom.tokenSealed,
      ],
    );
  }

  async setStripe(idHash: string, stripe: WebSession['stripe']): Promise<void> {
    await this.db.query(
      `UPDATE web_sessions SET stripe_account_id = $2, stripe_livemode = $3, stripe_key_enc = $4, stripe_grant_id = $5
       WHERE id_hash = $1`,
      [idHash, stripe?.accountId ?? null, stripe?.livemode ?? null, stripe?.keySealed ?? null, stripe?.grantId ?? null],
    );
  }

  async destroy(idHash: string): Promise<void> {
    await this.db.query(`DELETE FROM oauth_states WHERE session_hash = $1`, [idHash]);
    await this.db.query(`DELETE FROM web_sessions WHERE id_hash = $1`, [idHash]);
  }
}
