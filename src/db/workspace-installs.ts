import type { Queryable } from './queryable';

/** The newest install of an Intercom workspace (any status): what a signed-in admin of that workspace sees. */
export async function latestInstallOfWorkspace(
  db: Queryable,
  workspaceId: string,
): Promise<{ id: string; status: string } | undefined> {
  const { rows } = await db.query<{ id: string; status: string }>(
    `SELECT id, status FROM installs WHERE intercom_workspace_id = $1
     ORDER BY (status <> 'disabled') DESC, created_at DESC LIMIT 1`,
    [workspaceId],
  );
  return rows[0];
}
