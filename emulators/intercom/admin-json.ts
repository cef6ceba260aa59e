import type { Workspace } from './workspace';

/**
 * `GET /me`: the token's admin with the workspace embedded as `app`, as Intercom 2.14 returns it, including
 * `app.region` ("The Intercom region the app is located in", e.g. `US`), which the service checks against the region
 * an install names: https://developers.intercom.com/docs/references/2.14/rest-api/api.intercom.io/admins/identifyadmin
 */
export function adminJson(workspace: Workspace) {
  return {
    type: 'admin' as const,
    id: workspace.adminId,
    email: `admin@${workspace.id}.emulator.invalid`,
    name: 'Emulator Admin',
    email_verified: true,
    app: {
      type: 'app',
      id_code: workspace.id,
      name: workspace.name,
      created_at: workspace.createdAt,
      secure: false,
      identity_verification: false,
      timezone: 'Etc/UTC',
      region: workspace.region,
    },
    avatar: { type: 'avatar', image_url: null },
    has_inbox_seat: true,
  };
}
