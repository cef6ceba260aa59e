import Router from '@koa/router';
import type { Context } from 'koa';
import { escapeHtml, renderConsentPage, withQuery } from '../consent-page';
import { type Clock } from './clock';
import { StripeApiError } from './errors';
import { type Ids } from './ids';
import { type KeyRing } from './keys';
import { readBody } from './api/read-body';

/**
 * Stripe Apps OAuth, as documented:
 * - https://docs.stripe.com/stripe-apps/api-authentication/oauth : the install link
 *   `https://marketplace.stripe.com/oauth/v2/authorize?client_id&redirect_uri&state` sends the user to Stripe, who picks
 *   the account and accepts the permissions, then is redirected to the app's allowed redirect URI with `code` and
 *   `state`; the app exchanges the code with `POST /v1/oauth/token` (`grant_type=authorization_code`) authenticated
 *   with its own secret key. Access tokens expire after 1 hour; the refresh token lasts 1 year and a refresh
 *   (`grant_type=refresh_token`) returns a new access token *and a new refresh token*, the old one stops working.
 * - https://docs.stripe.com/stripe-apps/install-links-oauth : redirect URIs must be listed in `allowed_redirect_uris`.
 * - https://docs.stripe.com/connect/oauth-reference#post-token : OAuth errors are `{error, error_description}`
 *   (`invalid_grant` for a code or refresh token that does not exist, expired or was used); an authorization code
 *   expires after 5 minutes and can be used once: presenting it again revokes the tokens it produced.
 * Uninstalling the app from the dashboard revokes every token and sends `account.application.deauthorized`.
 */
export const ACCESS_TOKEN_SECONDS = 3600;
export const REFRESH_TOKEN_SECONDS = 365 * 86_400;
export const CODE_SECONDS = 300;

export interface StripeOAuthApp {
  clientId: string;
  secretKey: string;
  name: string;
}

interface Grant {
  accessTokens: string[];
  refreshToken: string;
  refreshExpiresAt: number;
  revoked: boolean;
}

interface Code {
  grant?: Grant;
  expiresAt: number;
  used: boolean;
}

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export interface StripeOAuthDeps {
  ids: Ids;
  keys: KeyRing;
  clock: Clock;
  accountId: string;
  /** Emits `account.application.deauthorized` to the account's webhook endpoints. */
  emitDeauthorized(): void;
}

/** The app's OAuth state inside the emulator: codes, grants, refresh tokens. */
export class StripeOAuth {
  readonly app: StripeOAuthApp;
  /** Empty: any http(s) URI is accepted (the emulator does not know the app's manifest until told). */
  readonly allowedRedirectUris: string[] = [];
  private readonly codes = new Map<string, Code>();
  private readonly grants: Grant[] = [];
  private readonly byRefreshToken = new Map<string, Grant>();

  constructor(private readonly deps: StripeOAuthDeps) {
    this.app = {
      clientId: deps.ids.next('ca', 32),
      secretKey: deps.ids.next('sk_live', 99),
      name: 'Intercom sync',
    };
  }

  /** Installed: at least one grant is not revoked. */
  installed(): boolean {
    return this.grants.some((grant) => !grant.revoked);
  }

  issueCode(): string {
    const code = this.deps.ids.next('ac', 32);
    this.codes.set(code, { expiresAt: this.deps.clock.now() + CODE_SECONDS, used: false });
    return code;
  }

  exchangeCode(code: string): object {
    const found = this.codes.get(code);
    if (!found) throw new OAuthError(400, 'invalid_grant', `Authorization code does not exist: ${code}`);
    if (found.used) {
      // Replaying a code is treated as an attack: whatever it produced stops working.
      if (found.grant) this.revoke(found.grant);
      throw new OAuthError(400, 'invalid_grant', `Authorization code already used: ${code}`);
    }
    found.used = true;
    if (this.deps.clock.now() >= found.expiresAt) {
      throw new OAuthError(400, 'invalid_grant', `Authorization code expired: ${code}`);
    }
    const grant: Grant = { accessTokens: [], refreshToken: '', refreshExpiresAt: 0, revoked: false };
    this.grants.push(grant);
    found.grant = grant;
    return this.roll(grant);
  }

  refresh(refreshToken: string): object {
    const grant = this.byRefreshToken.get(refreshToken);
    if (!grant || grant.revoked || grant.refreshToken !== refreshToken) {
      throw new OAuthError(400, 'invalid_grant', `Refresh token does not exist: ${refreshToken.slice(0, 8)}…`);
    }
    if (this.deps.clock.now() >= grant.refreshExpiresAt) {
      throw new OAuthError(400, 'invalid_grant', 'Refresh token expired');
    }
    return this.roll(grant);
  }

  /** The dashboard's "Uninstall app": every token stops working, then the event goes out. */
  uninstall(): boolean {
    const live = this.grants.filter((grant) => !grant.revoked);
    for (const grant of live) this.revoke(grant);
    if (live.length > 0) this.deps.emitDeauthorized();
    return live.length > 0;
  }

  /** A fresh access token and a new refresh token; the previous refresh token stops working. */
  private roll(grant: Grant): object {
    const now = this.deps.clock.now();
    const accessToken = this.deps.keys.createExpiring('live', now + ACCESS_TOKEN_SECONDS);
    grant.accessTokens.push(accessToken);
    this.byRefreshToken.delete(grant.refreshToken);
    grant.refreshToken = this.deps.ids.next('rt', 48);
    grant.refreshExpiresAt = now + REFRESH_TOKEN_SECONDS;
    this.byRefreshToken.set(grant.refreshToken, grant);
    return {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_SECONDS,
      livemode: true,
      refresh_token: grant.refreshToken,
      scope: 'stripe_apps',
      stripe_publishable_key: this.deps.ids.next('pk_live', 24),
      stripe_user_id: this.deps.accountId,
      token_type: 'bearer',
    };
  }

  private revoke(grant: Grant): void {
    grant.revoked = true;
    for (const token of grant.accessTokens) this.deps.keys.revoke(token);
    this.byRefreshToken.delete(grant.refreshToken);
  }

  redirectAllowed(uri: string): boolean {
    if (!/^https?:\/\//.test(uri)) return false;
    return this.allowedRedirectUris.length === 0 || this.allowedRedirectUris.includes(uri);
  }
}

async function formBody(ctx: Context): Promise<URLSearchParams> {
  return new URLSearchParams(await readBody(ctx.req));
}

function presentedSecret(header: string): string | undefined {
  const match = /^(\w+)\s+(.+)$/.exec(header.trim());
  if (!match) return undefined;
  const [, scheme = '', value = ''] = match;
  if (scheme.toLowerCase() === 'bearer') return value.trim();
  if (scheme.toLowerCase() === 'basic') return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

/** The marketplace install page, the token endpoint and the dashboard's installed-apps page. */
export function createStripeOAuthRouter(oauth: StripeOAuth, accountName: string, accountId: string): Router {
  const router = new Router();

  router.get('/oauth/v2/authorize', (ctx) => {
    const clientId = String(ctx.query.client_id ?? '');
    const redirectUri = String(ctx.query.redirect_uri ?? '');
    const state = String(ctx.query.state ?? '');
    if (clientId !== oauth.app.clientId) throw new StripeApiError(400, 'invalid_request_error', 'Unknown client_id');
    if (!oauth.redirectAllowed(redirectUri)) {
      throw new StripeApiError(400, 'invalid_request_error', 'redirect_uri is not in the app’s allowed_redirect_uris');
    }
    ctx.type = 'html';
    ctx.body = renderConsentPage({
      vendor: 'Stripe',
      title: `Install ${oauth.app.name}`,
      bodyHtml: `<p>Account: <strong>${escapeHtml(accountName)}</strong> <span class="note">${escapeHtml(accountId)}</span></p>
<p>${escapeHtml(oauth.app.name)} will be able to:</p>
<ul><li>Read customers, subscriptions, invoices, charges, payment methods, products, prices, coupons and events</li>
<li>Manage webhook endpoints</li></ul>`,
      action: '/oauth/v2/authorize',
      fields: { client_id: clientId, redirect_uri: redirectUri, state },
      allowLabel: 'Install app',
      denyLabel: 'Cancel',
    });
  });

  router.post('/oauth/v2/authorize', async (ctx) => {
    const form = await formBody(ctx);
    const redirectUri = form.get('redirect_uri') ?? '';
    if (form.get('client_id') !== oauth.app.clientId || !oauth.redirectAllowed(redirectUri)) {
      throw new StripeApiError(400, 'invalid_request_error', 'Invalid install request');
    }
    const state = form.get('state') ?? '';
    ctx.redirect(
      form.get('decision') === 'allow'
        ? withQuery(redirectUri, { code: oauth.issueCode(), state })
        : withQuery(redirectUri, {
            error: 'access_denied',
            error_description: 'The user denied your request',
            state,
          }),
    );
  });

  router.post('/v1/oauth/token', async (ctx) => {
    try {
      if (presentedSecret(ctx.get('authorization')) !== oauth.app.secretKey) {
        throw new OAuthError(401, 'invalid_client', 'The app’s secret key is required to exchange tokens');
      }
      const form = await formBody(ctx);
      const grantType = form.get('grant_type');
      if (grantType === 'authorization_code') ctx.body = oauth.exchangeCode(form.get('code') ?? '');
      else if (grantType === 'refresh_token') ctx.body = oauth.refresh(form.get('refresh_token') ?? '');
      else throw new OAuthError(400, 'unsupported_grant_type', `Unsupported grant type: ${grantType ?? ''}`);
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      ctx.status = err.status;
      ctx.body = { error: err.error, error_description: err.description };
    }
  });

  // The account owner's "Installed apps" page in the dashboard, with the uninstall button.
  router.get('/dashboard/apps', (ctx) => {
    ctx.type = 'html';
    ctx.body = renderConsentPage({
      vendor: 'Stripe',
      title: 'Installed apps',
      bodyHtml: oauth.installed()
        ? `<p><strong>${escapeHtml(oauth.app.name)}</strong> is installed on ${escapeHtml(accountName)}.</p>`
        : `<p>No apps installed.</p>`,
      action: '/dashboard/apps/uninstall',
      fields: {},
      allowLabel: 'Uninstall app',
    });
  });

  router.post('/dashboard/apps/uninstall', async (ctx) => {
    await formBody(ctx);
    oauth.uninstall();
    ctx.redirect('/dashboard/apps');
  });

  return router;
}
