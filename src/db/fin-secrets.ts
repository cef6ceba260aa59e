import type { Queryable } from './queryable';

/** Makes (or replaces: the old one stops working at once) the install's Fin secret, stored as its SHA-256. */
export async function replaceFinSecret(
  db: Queryable,
  installId: string,
  secretSha256: string,
  hint: string,
): Promise<Date> {
  const { rows } = await db.query<{ created_at: Date }>(
    `INSERT INTO fin_secrets (install_id, secret_sha256, secret_hint) VALUES ($1, $2, $3)
     ON CONFLICT (install_id) DO UPDATE
       SET secret_sha256 = EXCLUDED.secret_sha256, secret_hint = EXCLUDED.secret_hint, created_at = now()
     RETURNING created_at`,
    [installId, secretSha256, hint],
  );
  return rows[0]?.created_at as Date;
}

/** The active install whose Fin secret has this SHA-256, with its workspace. */
export async function installOfFinSecret(
  db: Queryable,
  secretSha256: string,
): Promise<{ installId: string; workspaceId: string } | undefined> {
  const { rows } = await db.query<{ id: string; intercom_workspace_id: string }>(
    `SELECT i.id, i.intercom_workspace_id FROM fin_secrets f JOIN installs i ON i.id = f.install_id
      WHERE f.secret_sha256 = $1 AND i.status <> 'disabled'`,
    [secretSha256],
  );
  const row = rows[0];
  return row && { installId: row.id, workspaceId: row.intercom_workspace_id };
}

/** What may be shown again of the install's Fin secret: its last characters and when it was made. */
export async function finSecretHint(
  db: Queryable,
  installId: string,
): Promise<{ hint: string; createdAt: Date } | null> {
  const { rows } = await db.query<{ secret_hint: string | null; created_at: Date }>(
    'SELECT secret_hint, created_at FROM fin_secrets WHERE install_id = $1',
    [installId],
  );
  const row = rows[0];
  return row ? { hint: row.secret_hint ?? '????', createdAt: row.created_at } : null;
}
