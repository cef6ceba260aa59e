import type { Config } from '../config';
import { createIntercomClient, type IntercomRegion } from '../vendors/intercom';
import { credentialCheckFailure, CredentialRejected, intercomStatusOf } from './credential-checks';

/**
 * Intercom OAuth (https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth):
 * `POST /auth/eagle/token` with the code, client id and secret; the token does not expire. `/me` then names the
 * workspace, its region and the admin who signed in.
 */

export class IntercomOAuthRejected extends Error {
  override name = 'IntercomOAuthRejected';
}

export interface IntercomIdentity {
  workspaceId: string;
  workspaceName: string;
  region: IntercomRegion;
  adminId: string;
  adminName: string;
}

type IntercomOAuthConfig = Pick<Config, 'INTERCOM_API_BASE' | 'INTERCOM_CLIENT_ID' | 'INTERCOM_CLIENT_SECRET'>;

/** One POST, no retry: a code is exchanged at most once. */
export async function exchangeIntercomCode(config: IntercomOAuthConfig, code: string): Promise<string> {
  if (!config.INTERCOM_CLIENT_ID || !config.INTERCOM_CLIENT_SECRET) throw new Error('Intercom OAuth is not configured');
  const base = config.INTERCOM_API_BASE ?? 'https://api.intercom.io';
  const response = await fetch(`${base}/auth/eagle/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({
      code,
      client_id: config.INTERCOM_CLIENT_ID,
      client_secret: config.INTERCOM_CLIENT_SECRET,
    }).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
  const token = typeof body.access_token === 'string' ? body.access_token : body.token;
  if (response.status >= 400 && response.status < 500) {
    throw new IntercomOAuthRejected('Intercom refused the sign-in code (it expired or was already used).');
  }
  if (!response.ok || typeof token !== 'string') throw new Error(`Intercom token exchange answered ${response.status}`);
  return token;
}

const regions: Record<string, IntercomRegion> = { US: 'us', EU: 'eu', AU: 'au' };

/** The workspace, region and admin behind a token (`GET /me`). */
export async function identifyIntercomAdmin(config: IntercomOAuthConfig, token: string): Promise<IntercomIdentity> {
  let me;
  try {
    me = await createIntercomClient(token, 'us', config).admins.identify();
  } catch (err) {
    // Only a 4xx says anything about the token: an outage must not read "token rejected" (issue 16).
    const failure = credentialCheckFailure('intercom.accessToken', 'Intercom', 'access token', intercomStatusOf(err));
    throw failure instanceof CredentialRejected ? new IntercomOAuthRejected(`${failure.message}.`) : failure;
  }
  const app = me?.app;
  if (!me || !app?.id_code) throw new IntercomOAuthRejected('Intercom did not say which workspace you signed in to.');
  return {
    workspaceId: app.id_code,
    workspaceName: app.name ?? app.id_code,
    region: regions[String(app.region ?? 'US').toUpperCase()] ?? 'us',
    adminId: String(me.id),
    adminName: me.name ?? me.email ?? 'Intercom admin',
  };
}
