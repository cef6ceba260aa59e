import type { Queryable } from './queryable';
import type { IntercomRegion } from '../vendors/intercom';

export type InstallStatus = 'importing' | 'live' | 'disabled' | 'failed';

/**
 * An install as stored: secrets stay sealed until an activity opens them. A disabled install's credentials are wiped
 * (null); an active one always has its key and token (a CHECK constraint).
 */
export interface Install {
  id: string;
  stripeAccountId: string;
  livemode: boolean;
  stripeApiKeySealed: string | null;
  /** The Stripe Apps OAuth grant whose access token its Stripe calls use, when connected through OAuth. */
  stripeGrantId: string | null;
  intercomWorkspaceId: string;
  intercomRegion: IntercomRegion;
  intercomTokenSealed: string | null;
  webhookEndpointId: string | null;
  webhookSecretSealed: string | null;
  attributePrefix: string;
  /** `email`, or `metadata:<key>` naming the Stripe metadata key that holds the app's user id. */
  matchBy: string;
  metadataAttributes: string[];
  status: InstallStatus;
  lastError: string | null;
  attributesReadyAt: Date | null;
  /** `attributeSetKey` of the attributes created in Intercom then (null: none yet, or recorded by an older release). */
  attributesReadyFor: string | null;
  createdAt: Date;
  disabledAt: Date | null;
}

const COLUMNS = `id, stripe_account_id, livemode, stripe_api_key_enc, stripe_grant_id, intercom_workspace_id, intercom_region,
  intercom_token_enc, webhook_endpoint_id, webhook_secret_enc, attribute_prefix, match_by, metadata_attributes,
  status, last_error, attributes_ready_at, attributes_ready_for, created_at, disabled_at`;

interface InstallRow {
  id: string;
  stripe_account_id: string;
  livemode: boolean;
  stripe_api_key_enc: string | null;
  stripe_grant_id: string | null;
  intercom_workspace_id: string;
  intercom_region: IntercomRegion;
  intercom_token_enc: string | null;
  webhook_endpoint_id: string | null;
  webhook_secret_enc: string | null;
  attribute_prefix: string;
  match_by: string;
  metadata_attributes: string[];
  status: InstallStatus;
  last_error: string | null;
  attributes_ready_at: Date | null;
  attributes_ready_for: string | null;
  created_at: Date;
  disabled_at: Date | null;
}

function toInstall(row: InstallRow): Install {
  return {
    id: row.id,
    stripeAccountId: row.stripe_account_id,
    livemode: row.livemode,
    stripeApiKeySealed: row.stripe_api_key_enc,
    stripeGrantId: row.stripe_grant_id,
    intercomWorkspaceId: row.intercom_workspace_id,
    intercomRegion: row.intercom_region,
    intercomTokenSealed: row.intercom_token_enc,
    webhookEndpointId: row.webhook_endpoint_id,
    webhookSecretSealed: row.webhook_secret_enc,
    attributePrefix: row.attribute_prefix,
    matchBy: row.match_by,
    metadataAttributes: row.metadata_attributes,
    status: row.status,
    lastError: row.last_error,
    attributesReadyAt: row.attributes_ready_at,
    attributesReadyFor: row.attributes_ready_for,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
  };
}

export type NewInstall = Pick<
  Install,
  'id' | 'stripeAccountId' | 'livemode' | 'intercomWorkspaceId' | 'intercomRegion'
> &
  SealedCredentials &
  Pick<Install, 'attributePrefix' | 'matchBy' | 'metadataAttributes'>;

/** Inserts the install, or returns the active one for the same Stripe account, mode and Intercom workspace. */
export async function insertInstall(
  db: Queryable,
  install: NewInstall,
): Promise<{ install: Install; created: boolean }> {
  const inserted = await db.query<InstallRow>(
    `INSERT INTO installs (id, stripe_account_id, livemode, stripe_api_key_enc, intercom_workspace_id, intercom_region,
       intercom_token_enc, attribute_prefix, match_by, metadata_attributes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (stripe_account_id, livemode, intercom_workspace_id) WHERE status <> 'disabled' DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      install.id,
      install.stripeAccountId,
      install.livemode,
      install.stripeApiKeySealed,
      install.intercomWorkspaceId,
      install.intercomRegion,
      install.intercomTokenSealed,
      install.attributePrefix,
      install.matchBy,
      install.metadataAttributes,
    ],
  );
  if (inserted.rows[0]) return { install: toInstall(inserted.rows[0]), created: true };
  const existing = await db.query<InstallRow>(
    `SELECT ${COLUMNS} FROM installs
     WHERE stripe_account_id = $1 AND livemode = $2 AND intercom_workspace_id = $3 AND status <> 'disabled'`,
    [install.stripeAccountId, install.livemode, install.intercomWorkspaceId],
  );
  if (!existing.rows[0]) throw new Error('install conflict without an existing row');
  return { install: toInstall(existing.rows[0]), created: false };
}

export async function findInstall(db: Queryable, id: string): Promise<Install | undefined> {
  const result = await db.query<InstallRow>(`SELECT ${COLUMNS} FROM installs WHERE id = $1`, [id]);
  return result.rows[0] && toInstall(result.rows[0]);
}

/** The install's status alone (checked before each Intercom call: the row's sealed credentials are not needed). */
export async function findInstallStatus(db: Queryable, id: string): Promise<InstallStatus | undefined> {
  const result = await db.query<{ status: InstallStatus }>(`SELECT status FROM installs WHERE id = $1`, [id]);
  return result.rows[0]?.status;
}

export async function findActiveInstallsByAccount(db: Queryable, stripeAccountId: string): Promise<Install[]> {
  const result = await db.query<InstallRow>(
    `SELECT ${COLUMNS} FROM installs WHERE stripe_account_id = $1 AND status <> 'disabled'`,
    [stripeAccountId],
  );
  return result.rows.map(toInstall);
}

export async function listInstallsByStatus(db: Queryable, statuses: InstallStatus[]): Promise<Install[]> {
  const result = await db.query<InstallRow>(
    `SELECT ${COLUMNS} FROM installs WHERE status = ANY($1) ORDER BY created_at`,
    [statuses],
  );
  return result.rows.map(toInstall);
}

/** Moves an install to a new status; a disabled install never leaves that state. */
export async function setInstallStatus(
  db: Queryable,
  id: string,
  status: InstallStatus,
  lastError: string | null = null,
): Promise<void> {
  await db.query(
    `UPDATE installs SET status = $2, last_error = COALESCE($3, last_error), updated_at = now(),
       disabled_at = CASE WHEN $2 = 'disabled' THEN now() ELSE disabled_at END
     WHERE id = $1 AND (status <> 'disabled' OR $2 = 'disabled')`,
    [id, status, lastError],
  );
}

/**
 * Fails an install for a reason found with the credentials `used` (a token Intercom refused, a key Stripe rejected),
 * unless they are no longer the install's: a reconnect that replaced them (and revived the install) while the failing
 * call ran has already mended what the failure reports. False when nothing changed.
 */
export async function failInstallWithCredentials(
  db: Queryable,
  used: Pick<Install, 'id' | 'stripeApiKeySealed' | 'intercomTokenSealed' | 'stripeGrantId'>,
  reason: string,
): Promise<boolean> {
  const result = await db.query(
    `UPDATE installs SET status = 'failed', last_error = $2, updated_at = now()
     WHERE id = $1 AND status <> 'disabled' AND stripe_api_key_enc IS NOT DISTINCT FROM $3
       AND intercom_token_enc IS NOT DISTINCT FROM $4 AND stripe_grant_id IS NOT DISTINCT FROM $5`,
    [used.id, reason, used.stripeApiKeySealed, used.intercomTokenSealed, used.stripeGrantId],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Records that the attributes of `attributeSet` (`attributeSetKey`) exist in the install's Intercom workspace. */
export async function markAttributesReady(db: Queryable, id: string, attributeSet: string): Promise<void> {
  await db.query(
    `UPDATE installs SET attributes_ready_at = now(), attributes_ready_for = $2, updated_at = now() WHERE id = $1`,
    [id, attributeSet],
  );
}

export async function setWebhookEndpoint(
  db: Queryable,
  id: string,
  endpoint: { endpointId: string; secretSealed: string } | null,
): Promise<void> {
  await db.query(
    `UPDATE installs SET webhook_endpoint_id = $2, webhook_secret_enc = $3, updated_at = now() WHERE id = $1`,
    [id, endpoint?.endpointId ?? null, endpoint?.secretSealed ?? null],
  );
}

export interface SealedCredentials {
  stripeApiKeySealed: string;
  intercomTokenSealed: string;
}

/** Replaces an active install's credentials (rotation, or re-sealing under the newest key); false if disabled. */
export async function setCredentials(
  db: Queryable,
  id: string,
  credentials: Partial<SealedCredentials> & { webhookSecretSealed?: string },
): Promise<boolean> {
  const result = await db.query(
    `UPDATE installs SET stripe_api_key_enc = COALESCE($2, stripe_api_key_enc),
       intercom_token_enc = COALESCE($3, intercom_token_enc),
       webhook_secret_enc = COALESCE($4, webhook_secret_enc), updated_at = now()
     WHERE id = $1 AND status <> 'disabled'`,
    [
      id,
      credentials.stripeApiKeySealed ?? null,
      credentials.intercomTokenSealed ?? null,
      credentials.webhookSecretSealed ?? null,
    ],
  );
  return (result.rowCount ?? 0) > 0;
}

/** A failed install back to importing, its error cleared; false when it was not failed. */
export async function reviveFailedInstall(db: Queryable, id: string): Promise<boolean> {
  const result = await db.query(
    `UPDATE installs SET status = 'importing', last_error = NULL, updated_at = now() WHERE id = $1 AND status = 'failed'`,
    [id],
  );
  return (result.rowCount ?? 0) > 0;
}

/**
 * A disabled install keeps nothing that could reach Stripe or Intercom again: its sealed key, token and webhook secret,
 * and the tokens of the Stripe OAuth grant it used (the grant is marked rejected, so nothing tries to refresh it).
 */
export async function wipeCredentials(db: Queryable, id: string): Promise<void> {
  await db.query(
    `WITH wiped AS (
       UPDATE installs SET stripe_api_key_enc = NULL, intercom_token_enc = NULL, webhook_secret_enc = NULL,
         updated_at = now()
       WHERE id = $1 AND status = 'disabled'
       RETURNING stripe_grant_id)
     UPDATE stripe_grants SET access_token_enc = '', refresh_token_enc = '', status = 'rejected',
       rejected_reason = coalesce(rejected_reason, 'the install was disconnected')
     WHERE id IN (SELECT stripe_grant_id FROM wiped)`,
    [id],
  );
}
