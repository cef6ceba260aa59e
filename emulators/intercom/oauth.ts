import { randomBytes } from 'node:crypto';
import { Router } from '@koa/router';
import type { Context } from 'koa';
import { escapeHtml, renderConsentPage, withQuery } from '../consent-page';
import { ApiError } from './errors';
import type { Registry } from './registry';

/**
 * Intercom OAuth, as documented (https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth
 * and https://intercom-developer-hub.readme.io/reference/using-oauth):
 * - the app sends the admin to `https://app.intercom.com/oauth?client_id&state[&redirect_uri]`; after consent Intercom
 *   redirects to the redirect URI (one of the app's, the first by default) with `code` and `state`;
 * - `POST https://api.intercom.io/auth/eagle/token` with `code`, `client_id`, `client_secret` returns the token;
 *   "the code will expire after about 5 minutes"; tokens do not expire (no refresh token);
 * - the app-store listing's "Install now" sends the admin to the app's install URL.
 * Codes are single use here, as OAuth 2.0 (RFC 6749 §4.1.2) requires of every provider.
 */
export const CODE_TTL_MS = 5 * 60_000;

export interface IntercomOAuthApp {
  clientId: string;
  clientSecret: string;
  name: string;
  /** Where the app store's "Install now" goes; empty until the service's URL is known. */
  installUrl: string;
  /** The app's redirect URLs; empty: any http(s) URL is accepted. */
  redirectUris: string[];
}

interface Code {
  workspaceId: string;
  expiresAtMs: number;
  used: boolean;
}

export class IntercomOAuth {
  readonly app: IntercomOAuthApp = {
    clientId: randomBytes(16)
      .toString('hex')
      .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-'),
    clientSecret: randomBytes(18).toString('hex'),
    name: 'Stripe sync',
    installUrl: '',
    redirectUris: [],
  };
  private readonly codes = new Map<string, Code>();

  constructor(private readonly registry: Registry) {}

  issueCode(workspaceId: string, nowMs: number): string {
    this.registry.get(workspaceId);
    const code = randomBytes(16).toString('hex');
    this.codes.set(code, { workspaceId, expiresAtMs: nowMs + CODE_TTL_MS, used: false });
    return code;
  }

  exchange(input: { code?: string; clientId?: string; clientSecret?: string }, nowMs: number): object {
    if (input.clientId !== this.app.clientId || input.clientSecret !== this.app.clientSecret) {
      throw new ApiError(401, 'unauthorized', 'Invalid client_id or client_secret');
    }
    const found = this.codes.get(input.code ?? '');
    if (!found || found.used || nowMs >= found.expiresAtMs) {
      if (found) found.used = true;
      throw new ApiError(400, 'invalid_grant', 'The authorization code is invalid, expired or already used');
    }
    found.used = true;
    const token = this.registry.issueToken(found.workspaceId);
    return { token_type: 'Bearer', token, access_token: token };
  }

  redirectFor(requested: string | undefined): string | undefined {
    const uri = requested || this.app.redirectUris[0];
    if (!uri || !/^https?:\/\//.test(uri)) return undefined;
    return this.app.redirectUris.length === 0 || this.app.redirectUris.includes(uri) ? uri : undefined;
  }
}

async function formOrJson(ctx: Context): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (ctx.is('json')) {
    const parsed: unknown = JSON.parse(text || '{}');
    return Object.fromEntries(Object.entries(parsed as object).map(([key, value]) => [key, String(value)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** The authorize page (app.intercom.com/oauth), the token exchange, and the app-store listing. */
export function createOAuthRouter(oauth: IntercomOAuth, registry: Registry): Router {
  const router = new Router();

  router.get('/appstore', (ctx) => {
    ctx.type = 'html';
    ctx.body = renderConsentPage({
      vendor: 'Intercom App Store',
      title: oauth.app.name,
      bodyHtml: `<p>Keep Stripe customers, plans and payments on your Intercom users.</p>`,
      action: '/appstore/install',
      fields: {},
      allowLabel: 'Install now',
    });
  });

  router.post('/appstore/install', (ctx) => {
    if (!oauth.app.installUrl) throw new ApiError(404, 'not_found', 'The app has no install URL yet');
    ctx.redirect(oauth.app.installUrl);
  });

  router.get('/oauth', (ctx) => {
    const redirectUri = oauth.redirectFor(typeof ctx.query.redirect_uri === 'string' ? ctx.query.redirect_uri : '');
    if (ctx.query.client_id !== oauth.app.clientId || !redirectUri) {
      throw new ApiError(400, 'parameter_invalid', 'Unknown client_id or redirect_uri');
    }
    const options = registry
      .list()
      .map((workspace) => `<option value="${escapeHtml(workspace.id)}">${escapeHtml(workspace.name)}</option>`)
      .join('');
    ctx.type = 'html';
    ctx.body = renderConsentPage({
      vendor: 'Intercom',
      title: `Connect ${oauth.app.name}`,
      bodyHtml: `<p>${escapeHtml(oauth.app.name)} wants to read and write users and data events.</p>
<label for="workspace">Workspace</label> <select id="workspace" name="workspace_id">${options}</select>`,
      action: '/oauth',
      fields: { client_id: oauth.app.clientId, redirect_uri: redirectUri, state: String(ctx.query.state ?? '') },
      allowLabel: 'Authorize access',
      denyLabel: 'Cancel',
    });
  });

  router.post('/oauth', async (ctx) => {
    const form = await formOrJson(ctx);
    const redirectUri = oauth.redirectFor(form.redirect_uri);
    if (form.client_id !== oauth.app.clientId || !redirectUri) {
      throw new ApiError(400, 'parameter_invalid', 'Unknown client_id or redirect_uri');
    }
    const state = form.state ?? '';
    ctx.redirect(
      form.decision === 'allow'
        ? withQuery(redirectUri, { code: oauth.issueCode(form.workspace_id ?? '', Date.now()), state })
        : withQuery(redirectUri, { error: 'access_denied', state }),
    );
  });

  router.post('/auth/eagle/token', async (ctx) => {
    const form = await formOrJson(ctx);
    ctx.body = oauth.exchange(
      { code: form.code, clientId: form.client_id, clientSecret: form.client_secret },
      Date.now(),
    );
  });

  return router;
}
