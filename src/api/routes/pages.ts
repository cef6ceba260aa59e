import type Router from '@koa/router';
import { createRouter } from '../router';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from '../../config';
import type { SecretBox } from '../../crypto/secret-box';
import type { SessionStore, WebSession } from '../../auth/sessions';
import type { Install } from '../../db/installs';
import { latestInstallOfWorkspace } from '../../db/workspace-installs';
import { CredentialCheckUnavailable, CredentialRejected, verifyStripeKey } from '../../installs/credentials';
import { identifyIntercomAdmin, IntercomOAuthRejected } from '../../installs/intercom-oauth';
import { isLiveKey, type InstallRequest, type InstallService } from '../../installs/install-service';
import { freshStripeAccessToken, releaseStripeGrant, StripeGrantRevoked } from '../../installs/stripe-oauth';
import type { PreviewRunner } from '../../client/previews';
import { HttpError } from '../errors';
import { requireCsrf, setSessionCookie, webSession, type PageState } from '../web-session';
import { connectStripePage, signInPage, type ConnectOptions } from '../pages/connect';
import type { Layout } from '../pages/layout';
import { failuresPage, installStatusPage, previewPage } from '../pages/status';
import { statusView } from '../pages/status-view';
import { intercomOAuthEnabled, stripeOAuthEnabled } from './oauth';

export interface PagesRouterDeps {
  config: Config;
  pool: Pool;
  secrets: SecretBox;
  sessions: SessionStore;
  service: InstallService;
  previews: PreviewRunner;
}

const stripeKeySchema = z
  .string()
  .trim()
  .regex(/^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/, 'That is not a Stripe secret or restricted key (sk_… or rk_…).');

const pastedCredentials = z.object({
  intercomToken: z.string().trim().min(8, 'Paste the Intercom access token.'),
  intercomRegion: z.enum(['us', 'eu', 'au']).default('us'),
  stripeKey: stripeKeySchema,
});

/** A credential check as a form answer: refused (422) or the vendor not answering (503, try again), naming the field. */
function asFormError(err: unknown, field: string): unknown {
  if (err instanceof CredentialRejected) return new HttpError(422, 'credential_rejected', err.message, field);
  if (err instanceof CredentialCheckUnavailable) return new HttpError(503, 'upstream_unavailable', err.message, field);
  return err;
}

type SignedIn = WebSession & { intercom: NonNullable<WebSession['intercom']> };

/** The install pages: sign-in, connect Stripe, preview, install, status (live), failures, resync, disconnect. */
export function createPagesRouter(deps: PagesRouterDeps): Router {
  const { config, pool, secrets, sessions, service, previews } = deps;
  const router = createRouter();
  const csrf = requireCsrf(config);
  const session = (ctx: Context): WebSession => (ctx.state as PageState).session;
  const form = (ctx: Context): Record<string, string> => (ctx.state as PageState).form;

  function signedIn(ctx: Context): SignedIn {
    const current = session(ctx);
    if (!current.intercom) throw new HttpError(401, 'signed_out', 'Your session has ended. Sign in again to continue.');
    return current as SignedIn;
  }
  const header = (current: SignedIn): Layout['signedIn'] => ({
    who: current.intercom.adminName,
    workspace: current.intercom.workspaceName,
    csrfToken: current.csrfToken,
  });

  function connectOptions(current: WebSession): ConnectOptions {
    return {
      csrfToken: current.csrfToken,
      intercomOAuth: intercomOAuthEnabled(config),
      stripeOAuth: stripeOAuthEnabled(config),
      allowTestMode: config.ALLOW_TEST_MODE,
    };
  }

  /** An install of the signed-in admin's workspace; any other id is "not found" (no probing other workspaces). */
  async function ownInstall(ctx: Context): Promise<{ current: SignedIn; install: Install }> {
    const current = signedIn(ctx);
    const id = String(ctx.params.id ?? '');
    const install = /^ins_[A-Za-z0-9_-]{1,40}$/.test(id) ? await service.find(id) : undefined;
    if (!install || install.intercomWorkspaceId !== current.intercom.workspaceId) {
      throw new HttpError(404, 'not_found', 'There is no such install for your Intercom workspace.', 'id');
    }
    return { current, install };
  }

  async function checkedStripeKey(raw: string | undefined): Promise<{ accountId: string; livemode: boolean }> {
    const key = stripeKeySchema.parse(raw ?? '');
    if (!isLiveKey(key) && !config.ALLOW_TEST_MODE) {
      throw new HttpError(
        422,
        'test_mode_not_allowed',
        'Use a live key (rk_live_…): test-mode installs are turned off.',
        'stripeKey',
      );
    }
    try {
      return { accountId: (await verifyStripeKey(key, config)).accountId, livemode: isLiveKey(key) };
    } catch (err) {
      throw asFormError(err, 'stripeKey');
    }
  }

  // The app store's "Install now" lands here.
  router.get('/install', webSession(sessions, config), (ctx) => {
    const current = session(ctx);
    ctx.redirect(!current.intercom && intercomOAuthEnabled(config) ? '/oauth/intercom/start' : '/app');
  });

  router.use('/app', webSession(sessions, config));

  router.get('/app', async (ctx) => {
    const current = session(ctx);
    ctx.type = 'html';
    if (!current.intercom) {
      ctx.body = signInPage(connectOptions(current));
      return;
    }
    const latest = await latestInstallOfWorkspace(pool, current.intercom.workspaceId);
    if (latest && latest.status !== 'disabled') return ctx.redirect(`/app/installs/${latest.id}`);
    if (current.stripe) return ctx.redirect('/app/preview');
    ctx.body = connectStripePage({
      ...connectOptions(current),
      workspaceName: current.intercom.workspaceName,
      signedIn: header(current as SignedIn),
      previousInstall: latest && {
        id: latest.id,
        state: latest.status === 'disabled' ? 'disconnected' : latest.status,
      },
    });
  });

  router.post('/app/connect/keys', csrf, async (ctx) => {
    // With Intercom OAuth set up, signing in is Intercom's: a pasted token would bypass the admin's own consent.
    if (intercomOAuthEnabled(config)) {
      throw new HttpError(404, 'not_available', 'Sign in with Intercom instead: pasted tokens are turned off here.');
    }
    const input = pastedCredentials.parse(form(ctx));
    const stripe = await checkedStripeKey(input.stripeKey);
    let identity;
    try {
      identity = await identifyIntercomAdmin(config, input.intercomToken);
    } catch (err) {
      if (err instanceof IntercomOAuthRejected)
        throw new HttpError(422, 'credential_rejected', err.message, 'intercomToken');
      throw asFormError(err, 'intercomToken');
    }
    const signedIn = await sessions.signIn(session(ctx), {
      ...identity,
      region: input.intercomRegion,
      tokenSealed: secrets.seal(input.intercomToken),
    });
    setSessionCookie(ctx, signedIn.cookie, config);
    await releaseStripeGrant(pool, session(ctx).stripe?.grantId);
    await sessions.setStripe(signedIn.session.idHash, {
      ...stripe,
      keySealed: secrets.seal(input.stripeKey),
      grantId: null,
    });
    ctx.redirect('/app/preview');
  });

  router.post('/app/connect/stripe-key', csrf, async (ctx) => {
    const current = signedIn(ctx);
    const stripe = await checkedStripeKey(form(ctx).stripeKey);
    await sessions.setStripe(current.idHash, {
      ...stripe,
      keySealed: secrets.seal(stripeKeySchema.parse(form(ctx).stripeKey)),
      grantId: null,
    });
    await releaseStripeGrant(pool, current.stripe?.grantId);
    ctx.redirect('/app/preview');
  });

  function readyToInstall(ctx: Context): SignedIn & { stripe: NonNullable<WebSession['stripe']> } {
    const current = signedIn(ctx);
    if (!current.stripe) throw new HttpError(409, 'stripe_not_connected', 'Connect a Stripe account first.');
    return current as SignedIn & { stripe: NonNullable<WebSession['stripe']> };
  }

  router.get('/app/preview', async (ctx) => {
    const current = readyToInstall(ctx);
    await previews.ensure(current.publicId, current.stripe.accountId);
    ctx.type = 'html';
    ctx.body = previewPage({
      preview: await previews.progress(current.publicId, current.stripe.accountId),
      csrfToken: current.csrfToken,
      signedIn: header(current),
      workspaceName: current.intercom.workspaceName,
      stripeAccountId: current.stripe.accountId,
    });
  });

  router.get('/app/preview.json', async (ctx) => {
    const current = readyToInstall(ctx);
    ctx.body = (await previews.progress(current.publicId, current.stripe.accountId)) ?? {
      phase: 'reading',
      customers: 0,
    };
  });

  router.post('/app/install', csrf, async (ctx) => {
    const current = readyToInstall(ctx);
    const { stripe, intercom } = current;
    let apiKey: string;
    try {
      apiKey = stripe.grantId
        ? await freshStripeAccessToken(pool, secrets, config, stripe.grantId)
        : secrets.open(stripe.keySealed ?? '');
    } catch (err) {
      if (!(err instanceof StripeGrantRevoked)) throw err;
      await sessions.setStripe(current.idHash, null);
      throw new HttpError(409, 'stripe_revoked', err.message);
    }
    const request: InstallRequest = {
      stripe: { apiKey, ...(stripe.grantId && { grantId: stripe.grantId }) },
      intercom: { accessToken: secrets.open(intercom.tokenSealed), region: intercom.region },
      attributePrefix: 'STRIPE_',
      matchBy: 'email',
      metadataAttributes: [],
    };
    try {
      const { install } = await service.install(request);
      await sessions.setStripe(current.idHash, null);
      ctx.status = 303;
      ctx.redirect(`/app/installs/${install.id}`);
    } catch (err) {
      if (err instanceof CredentialRejected) throw new HttpError(422, 'credential_rejected', err.message, err.field);
      throw err;
    }
  });

  router.get('/app/installs/:id', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    ctx.type = 'html';
    ctx.body = installStatusPage({
      installId: install.id,
      view: statusView(await service.status(install)),
      csrfToken: current.csrfToken,
      signedIn: header(current),
      temporalLink: service.workflowLinks(install.id).sync,
      stripeAccountId: install.stripeAccountId,
      workspaceName: current.intercom.workspaceName,
    });
  });

  router.get('/app/installs/:id/status.json', async (ctx) => {
    const { install } = await ownInstall(ctx);
    ctx.body = statusView(await service.status(install));
  });

  router.get('/app/installs/:id/failures', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    ctx.type = 'html';
    ctx.body = failuresPage({
      installId: install.id,
      failures: await service.failures(install, 500),
      signedIn: header(current),
    });
  });

  router.post('/app/installs/:id/resync', csrf, async (ctx) => {
    const { install } = await ownInstall(ctx);
    if (install.status === 'disabled')
      throw new HttpError(409, 'disabled', 'This install is disconnected; connect again to sync.');
    await service.resync(install);
    ctx.status = 303;
    ctx.redirect(`/app/installs/${install.id}`);
  });

  router.post('/app/installs/:id/disconnect', csrf, async (ctx) => {
    const { install } = await ownInstall(ctx);
    await service.disable(install);
    ctx.status = 303;
    ctx.redirect(`/app/installs/${install.id}`);
  });

  router.post('/app/sign-out', csrf, async (ctx) => {
    await sessions.destroy(session(ctx).idHash);
    setSessionCookie(ctx, null, config);
    ctx.status = 303;
    ctx.redirect('/app');
  });

  return router;
}
