import type Router from '@koa/router';
import { createRouter } from '../router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { WebSession } from '../../auth/sessions';
import { latestInstallOfWorkspace } from '../../db/workspace-installs';
import { latestImport } from '../../db/imports';
import { setExpectedCustomers } from '../../db/import-progress';
import { CredentialRejected, verifyStripeKey } from '../../installs/credential-checks';
import { identifyIntercomAdmin, IntercomOAuthRejected } from '../../installs/intercom-oauth';
import { isLiveKey, type InstallRequest } from '../../installs/install-service';
import { freshStripeAccessToken, releaseStripeGrant, StripeGrantRevoked } from '../../credentials/stripe-access';
import type { PreviewConnection } from '../../temporal-client/previews';
import { HttpError } from '../errors';
import { requireCsrf, setSessionCookie, webSession } from '../web-session';
import { connectStripePage, signInPage, type ConnectOptions } from '../pages/connect';
import { previewPage } from '../pages/preview-page';
import { intercomOAuthEnabled, stripeOAuthEnabled } from './oauth';
import { asFormError, pageKit, stripeKeySchema, type PagesRouterDeps, type SignedIn } from './page-kit';
import { addStatusPageRoutes } from './status-pages';
import { addExplainPageRoutes } from './explain-pages';

export type { PagesRouterDeps } from './page-kit';

const pastedCredentials = z.object({
  intercomToken: z.string().trim().min(8, 'Paste the Intercom access token.'),
  intercomRegion: z.enum(['us', 'eu', 'au']).default('us'),
  stripeKey: stripeKeySchema,
});

/** The install pages: sign-in, connect Stripe, preview, install; the status and explain pages (their own modules). */
export function createPagesRouter(deps: PagesRouterDeps): Router {
  const { config, pool, secrets, sessions, service, previews } = deps;
  const router = createRouter();
  const csrf = requireCsrf(config);
  const kit = pageKit(service);
  const { session, form, signedIn, header, withFieldErrors } = kit;

  function connectOptions(current: WebSession): ConnectOptions {
    return {
      csrfToken: current.csrfToken,
      intercomOAuth: intercomOAuthEnabled(config),
      stripeOAuth: stripeOAuthEnabled(config),
      allowTestMode: config.ALLOW_TEST_MODE,
    };
  }

  async function checkedStripeKey(raw: string | undefined): Promise<{ accountId: string; livemode: boolean }> {
    const { stripeKey: key } = z.object({ stripeKey: stripeKeySchema }).parse({ stripeKey: raw ?? '' });
    if (!isLiveKey(key) && !config.ALLOW_TEST_MODE) {
      throw new HttpError(
        422,
        'test_mode_not_allowed',
        'This is a test-mode key (…_test_…), and this service syncs live data only. Paste a live restricted key (rk_live_…).',
        'stripeKey',
      );
    }
    try {
      return { accountId: (await verifyStripeKey(key, config)).accountId, livemode: isLiveKey(key) };
    } catch (err) {
      throw asFormError(err, 'stripeKey');
    }
  }

  // The service's address itself: a browser goes to the install pages, an API client learns where things are.
  router.get('/', (ctx) => {
    if (ctx.accepts('json', 'html') === 'html') return ctx.redirect('/app');
    ctx.body = { service: 'stripe-intercom-sync', installPages: '/app', api: '/installs', health: '/healthz' };
  });

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
    const current = session(ctx);
    await withFieldErrors(
      ctx,
      async () => {
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
        const signedIn = await sessions.signIn(current, {
          ...identity,
          region: input.intercomRegion,
          tokenSealed: secrets.seal(input.intercomToken),
        });
        setSessionCookie(ctx, signedIn.cookie, config);
        await releaseStripeGrant(pool, current.stripe?.grantId);
        await sessions.setStripe(signedIn.session.idHash, {
          ...stripe,
          keySealed: secrets.seal(input.stripeKey),
          grantId: null,
        });
        ctx.redirect('/app/preview');
      },
      (error) => signInPage({ ...connectOptions(current), error, values: form(ctx) }),
    );
  });

  router.post('/app/connect/stripe-key', csrf, async (ctx) => {
    const current = signedIn(ctx);
    await withFieldErrors(
      ctx,
      async () => {
        const stripe = await checkedStripeKey(form(ctx).stripeKey);
        await sessions.setStripe(current.idHash, {
          ...stripe,
          keySealed: secrets.seal(stripeKeySchema.parse(form(ctx).stripeKey)),
          grantId: null,
        });
        await releaseStripeGrant(pool, current.stripe?.grantId);
        ctx.redirect('/app/preview');
      },
      (error) =>
        connectStripePage({
          ...connectOptions(current),
          workspaceName: current.intercom.workspaceName,
          signedIn: header(current),
          error,
        }),
    );
  });

  type ReadyToInstall = SignedIn & { stripe: NonNullable<WebSession['stripe']> };

  /**
   * The signed-in session with a Stripe connection; without one (Back after Start import, or an old tab), the admin
   * is sent where they stand: the install's status, or the start.
   */
  async function readyToInstall(ctx: Context): Promise<ReadyToInstall | null> {
    const current = signedIn(ctx);
    if (current.stripe) return current as ReadyToInstall;
    const latest = await latestInstallOfWorkspace(pool, current.intercom.workspaceId);
    ctx.status = 303;
    ctx.redirect(latest && latest.status !== 'disabled' ? `/app/installs/${latest.id}` : '/app');
    return null;
  }

  const connectionOf = (current: ReadyToInstall): PreviewConnection => ({
    stripeAccountId: current.stripe.accountId,
    credential: current.stripe.keySealed ?? current.stripe.grantId ?? '',
  });

  /** A failed preview older than this is tried again on a reload (the page's own reload shows the failure first). */
  const RETRY_FAILED_PREVIEW_AFTER_MS = 5_000;

  router.get('/app/preview', async (ctx) => {
    const current = await readyToInstall(ctx);
    if (!current) return;
    const connection = connectionOf(current);
    await previews.ensure(current.publicId, connection);
    let state = await previews.state(current.publicId, connection);
    if (
      state?.progress.phase === 'failed' &&
      Date.now() - (state.closedAt?.getTime() ?? Date.now()) > RETRY_FAILED_PREVIEW_AFTER_MS
    ) {
      await previews.ensure(current.publicId, connection, true);
      state = await previews.state(current.publicId, connection);
    }
    ctx.type = 'html';
    ctx.body = previewPage({
      preview: state?.progress ?? null,
      computedAt: state?.closedAt ? `${state.closedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null,
      csrfToken: current.csrfToken,
      signedIn: header(current),
      workspaceName: current.intercom.workspaceName,
      stripeAccountId: current.stripe.accountId,
    });
  });

  router.post('/app/preview/retry', csrf, async (ctx) => {
    const current = await readyToInstall(ctx);
    if (!current) return;
    await previews.ensure(current.publicId, connectionOf(current), true);
    ctx.status = 303;
    ctx.redirect('/app/preview');
  });

  router.get('/app/preview.json', async (ctx) => {
    const current = signedIn(ctx);
    if (!current.stripe) throw new HttpError(409, 'stripe_not_connected', 'Connect a Stripe account first.');
    const state = await previews.state(current.publicId, connectionOf(current as ReadyToInstall));
    ctx.body = state?.progress ?? { phase: 'reading', customers: 0 };
  });

  router.post('/app/install', csrf, async (ctx) => {
    const current = await readyToInstall(ctx);
    if (!current) return;
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
    const preview = await previews.state(current.publicId, connectionOf(current)).catch(() => null);
    try {
      const { install, created } = await service.install(request);
      // The preview's count is the first import's total (Stripe has no count endpoint).
      const started = created ? await latestImport(pool, install.id) : undefined;
      if (started && preview?.progress.phase === 'done') {
        await setExpectedCustomers(pool, started.id, preview.progress.customers);
      }
      await sessions.setStripe(current.idHash, null);
      ctx.status = 303;
      ctx.redirect(`/app/installs/${install.id}`);
    } catch (err) {
      if (err instanceof CredentialRejected) throw new HttpError(422, 'credential_rejected', err.message, err.field);
      throw err;
    }
  });

  addExplainPageRoutes(router, deps, kit, addStatusPageRoutes(router, deps, kit));

  router.post('/app/sign-out', csrf, async (ctx) => {
    await sessions.destroy(session(ctx).idHash);
    setSessionCookie(ctx, null, config);
    ctx.status = 303;
    ctx.redirect('/app');
  });

  return router;
}
