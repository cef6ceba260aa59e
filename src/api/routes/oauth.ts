import type Router from '@koa/router';
import { createRouter } from '../router';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import type { Config } from '../../config';
import type { SecretBox } from '../../crypto/secret-box';
import type { SessionStore } from '../../auth/sessions';
import { OAuthStateRejected, type OAuthProvider, type OAuthStates } from '../../auth/oauth-state';
import { exchangeIntercomCode, identifyIntercomAdmin, IntercomOAuthRejected } from '../../installs/intercom-oauth';
import {
  createStripeGrant,
  exchangeStripeCode,
  releaseStripeGrant,
  StripeOAuthRejected,
  wipeUnusedStripeGrants,
} from '../../credentials/stripe-access';
import { HttpError } from '../errors';
import { CredentialCheckUnavailable } from '../../installs/credential-checks';
import { rateLimitPerClient } from '../rate-limit';
import { setSessionCookie, webSession, type PageState } from '../web-session';

export interface OAuthRouterDeps {
  config: Config;
  pool: Pool;
  secrets: SecretBox;
  sessions: SessionStore;
  states: OAuthStates;
}

export const intercomOAuthEnabled = (config: Config): boolean =>
  Boolean(config.INTERCOM_CLIENT_ID && config.INTERCOM_CLIENT_SECRET);
export const stripeOAuthEnabled = (config: Config): boolean =>
  Boolean(config.STRIPE_APP_CLIENT_ID && config.STRIPE_APP_SECRET_KEY);

/** The authorization errors of RFC 6749 §4.1.2.1 (https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1). */
const OAUTH_ERROR_CODES = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

const callbackUrl = (config: Config, provider: OAuthProvider): string =>
  `${config.PUBLIC_URL}/oauth/${provider}/callback`;

/**
 * The two OAuth round trips. Each callback checks `state` (signed, this session's, < 10 min, unused) before anything
 * else, then exchanges the code exactly once; every refusal ends on a page saying what happened, with nothing stored.
 */
export function createOAuthRouter(deps: OAuthRouterDeps): Router {
  const { config, sessions, states } = deps;
  const router = createRouter({ prefix: '/oauth' });
  router.use(webSession(sessions, config));
  const session = (ctx: Context) => (ctx.state as PageState).session;
  // A start costs nothing stored, but it sends a browser to Intercom or Stripe: bounded per client address.
  const startLimit = rateLimitPerClient({
    limit: config.OAUTH_STARTS_PER_MINUTE,
    windowMs: 60_000,
    what: 'sign-ins started',
  });

  /** The provider's `error` (the person pressed Cancel), or the state check; both end the flow on a clear page. */
  async function checkReturn(ctx: Context, provider: OAuthProvider, vendor: string): Promise<string> {
    const query = ctx.query as Record<string, string | undefined>;
    if (query.error) {
      // Only the codes OAuth defines are quoted: the query is anyone's text, and the page must not say what they wrote.
      const code = OAUTH_ERROR_CODES.has(query.error) ? query.error : 'an unrecognised error';
      throw new HttpError(400, 'oauth_denied', `${vendor} did not grant access (${code}). Nothing was connected.`);
    }
    try {
      await states.consume(query.state ?? '', session(ctx).idHash, provider);
    } catch (err) {
      if (err instanceof OAuthStateRejected) throw new HttpError(400, `state_${err.problem}`, err.message, 'state');
      throw err;
    }
    if (!query.code) throw new HttpError(400, 'oauth_no_code', `${vendor} sent no authorization code.`, 'code');
    return query.code;
  }

  router.get('/intercom/start', startLimit, async (ctx) => {
    if (!intercomOAuthEnabled(config)) throw new HttpError(404, 'not_configured', 'Intercom sign-in is not set up.');
    const url = new URL(config.INTERCOM_OAUTH_URL);
    url.searchParams.set('client_id', config.INTERCOM_CLIENT_ID ?? '');
    url.searchParams.set('state', await states.issue(session(ctx).idHash, 'intercom'));
    url.searchParams.set('redirect_uri', callbackUrl(config, 'intercom'));
    ctx.redirect(url.toString());
  });

  router.get('/intercom/callback', async (ctx) => {
    const code = await checkReturn(ctx, 'intercom', 'Intercom');
    try {
      const token = await exchangeIntercomCode(config, code);
      const identity = await identifyIntercomAdmin(config, token);
      const signedIn = await sessions.signIn(session(ctx), { ...identity, tokenSealed: deps.secrets.seal(token) });
      setSessionCookie(ctx, signedIn.cookie, config);
      await releaseStripeGrant(deps.pool, session(ctx).stripe?.grantId);
    } catch (err) {
      if (err instanceof IntercomOAuthRejected) throw new HttpError(400, 'intercom_code_rejected', err.message, 'code');
      if (err instanceof CredentialCheckUnavailable) {
        throw new HttpError(503, 'upstream_unavailable', `${err.message} Nothing was connected; sign in again.`);
      }
      throw err;
    }
    ctx.redirect('/app');
  });

  router.get('/stripe/start', startLimit, async (ctx) => {
    if (!stripeOAuthEnabled(config)) throw new HttpError(404, 'not_configured', 'Stripe sign-in is not set up.');
    if (!session(ctx).intercom) throw new HttpError(401, 'signed_out', 'Sign in to Intercom first.');
    const url = new URL(config.STRIPE_OAUTH_AUTHORIZE_URL);
    url.searchParams.set('client_id', config.STRIPE_APP_CLIENT_ID ?? '');
    url.searchParams.set('redirect_uri', callbackUrl(config, 'stripe'));
    url.searchParams.set('state', await states.issue(session(ctx).idHash, 'stripe'));
    ctx.redirect(url.toString());
  });

  router.get('/stripe/callback', async (ctx) => {
    const code = await checkReturn(ctx, 'stripe', 'Stripe');
    const current = session(ctx);
    if (!current.intercom) throw new HttpError(401, 'signed_out', 'Sign in to Intercom first.');
    let tokens;
    try {
      tokens = await exchangeStripeCode(config, code);
    } catch (err) {
      if (!(err instanceof StripeOAuthRejected)) {
        // Stripe did not answer (a 5xx, the network): nothing is known, nothing was stored.
        throw new HttpError(
          503,
          'upstream_unavailable',
          'Stripe is not answering right now. Nothing was connected; connect Stripe again in a minute.',
        );
      }
      // A code presented twice revokes what it produced: forget any connection this session holds.
      await sessions.setStripe(current.idHash, null);
      throw new HttpError(
        400,
        'stripe_code_rejected',
        `Stripe refused the authorization (${err.error}: the code expired or was already used, which also revokes ` +
          'the connection it made). Nothing was installed; connect Stripe again.',
        'code',
      );
    }
    if (!tokens.livemode && !config.ALLOW_TEST_MODE) {
      throw new HttpError(
        422,
        'test_mode_not_allowed',
        'Stripe connected a test-mode account; this service syncs live data only.',
      );
    }
    const grantId = await createStripeGrant(deps.pool, deps.secrets, tokens);
    await sessions.setStripe(current.idHash, {
      accountId: tokens.accountId,
      livemode: tokens.livemode,
      keySealed: null,
      grantId,
    });
    // The connection this one replaces keeps a year-long refresh token: wiped unless an install uses it; so are
    // grants of browser flows abandoned long ago.
    await releaseStripeGrant(deps.pool, current.stripe?.grantId);
    await wipeUnusedStripeGrants(deps.pool);
    ctx.redirect('/app/preview');
  });

  return router;
}
