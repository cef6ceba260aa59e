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
import { latestImport } from '../../db/imports';
import { setExpectedCustomers } from '../../db/import-progress';
import { findAlertTarget, recordAlertSent, removeAlertTarget, setAlertTarget } from '../../db/alerts';
import { CredentialCheckUnavailable, CredentialRejected, verifyStripeKey } from '../../installs/credential-checks';
import { identifyIntercomAdmin, IntercomOAuthRejected } from '../../installs/intercom-oauth';
import { isLiveKey, type InstallRequest, type InstallService } from '../../installs/install-service';
import { freshStripeAccessToken, releaseStripeGrant, StripeGrantRevoked } from '../../credentials/stripe-access';
import type { PreviewConnection, PreviewRunner } from '../../temporal-client/previews';
import type { StatusReporter } from '../../status/report';
import { failuresCsv, groupFailures } from '../../status/failure-groups';
import { AlertUrlRejected, alertPayload, checkAlertUrl, postAlert } from '../../status/alerts';
import { HttpError, mapError } from '../errors';
import { requireCsrf, setSessionCookie, webSession, type PageState } from '../web-session';
import { connectStripePage, signInPage, type ConnectOptions, type FieldError } from '../pages/connect';
import type { Layout } from '../pages/layout';
import { failuresPage, installStatusPage, previewPage, type StatusFormError } from '../pages/status';
import { statusView } from '../pages/status-view';
import { intercomOAuthEnabled, stripeOAuthEnabled } from './oauth';

export interface PagesRouterDeps {
  config: Config;
  pool: Pool;
  secrets: SecretBox;
  sessions: SessionStore;
  service: InstallService;
  previews: PreviewRunner;
  reporter: StatusReporter;
}

const stripeKeySchema = z
  .string()
  .trim()
  .regex(
    /^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/,
    'That is not a Stripe secret or restricted key (sk_… or rk_…): copy the whole key from Stripe’s API keys page.',
  );

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

/**
 * A refused key, token or URL as a form answer: the message in plain words with what to do, the typed value kept,
 * and the status (422 refused; 503 when the vendor could not be asked, so nothing is known about the value).
 */
function fieldErrorOf(err: unknown, values: Record<string, string>): { status: number; error: FieldError } | null {
  const { status, body } = mapError(err);
  const field = body.error.field;
  if (field !== 'stripeKey' && field !== 'intercomToken' && field !== 'url') return null;
  if (status >= 500 && !(err instanceof HttpError && err.code === 'upstream_unavailable')) return null;
  const refusedWith = status === 422 ? /HTTP (\d{3})/.exec(body.error.message)?.[1] : undefined;
  const advice =
    refusedWith === '401'
      ? field === 'stripeKey'
        ? '. It is mistyped, was rolled or deleted, or belongs to another account: copy it again from Stripe’s API keys page.'
        : '. It is mistyped or was revoked: copy it again from your app in the Intercom Developer Hub.'
      : refusedWith === '403' && field === 'stripeKey'
        ? '. The key lacks a permission: give it every permission listed below.'
        : '';
  return { status, error: { field, message: `${body.error.message}${advice}`, value: values[field] ?? '' } };
}

/** The install pages: sign-in, connect Stripe, preview, install, status (live), failures, resync, disconnect. */
export function createPagesRouter(deps: PagesRouterDeps): Router {
  const { config, pool, secrets, sessions, service, previews, reporter } = deps;
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

  /** Runs a form's work; a refused field re-renders the form with the error beside it and the value kept. */
  async function withFieldErrors(
    ctx: Context,
    work: () => Promise<void>,
    render: (error: FieldError) => Promise<string> | string,
  ): Promise<void> {
    try {
      await work();
    } catch (err) {
      const refused = fieldErrorOf(err, form(ctx));
      if (!refused) throw err;
      ctx.status = refused.status;
      ctx.type = 'html';
      ctx.body = await render(refused.error);
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

  async function renderStatus(
    ctx: Context,
    current: SignedIn,
    install: Install,
    extra: { formError?: StatusFormError; done?: string } = {},
  ): Promise<void> {
    const status = await reporter.status(install);
    const alerts = await findAlertTarget(pool, install.id);
    ctx.type = 'html';
    ctx.body = installStatusPage({
      installId: install.id,
      view: statusView(status),
      status,
      csrfToken: current.csrfToken,
      signedIn: header(current),
      stripeAccountId: install.stripeAccountId,
      workspaceName: current.intercom.workspaceName,
      allowTestMode: config.ALLOW_TEST_MODE,
      alerts: { configured: alerts !== undefined, lastResult: alerts?.lastResult ?? null },
      intercomSignIn: {
        enabled: intercomOAuthEnabled(config),
        fresh:
          install.intercomTokenSealed !== null &&
          secrets.open(current.intercom.tokenSealed) !== secrets.open(install.intercomTokenSealed),
      },
      ...extra,
    });
  }

  /** Messages a form leaves for the status page it redirects to (`?done=…`): fixed texts, nothing from the request. */
  const DONE_MESSAGES: Record<string, string> = {
    intercom: 'Intercom reconnected: every call from now on uses the new token.',
    'intercom-resumed':
      'Intercom reconnected. The sync started again, and a resync is catching up on what changed while it was stopped.',
    stripe: 'Stripe reconnected: every call from now on uses the new key.',
    'stripe-resumed':
      'Stripe reconnected. The sync started again, and a resync is catching up on what changed while it was stopped.',
    alerts: 'Alert webhook saved. Send a test alert to check it arrives.',
    'alerts-removed': 'Alert webhook removed: no more alerts are sent.',
    resync: 'Resync started: every customer is checked against Intercom, and only changes are written.',
    'alert-test': 'Test alert delivered (see "Last alert" below).',
    'alert-test-failed': 'The test alert did not arrive (see "Last alert" below): check the URL and save it again.',
  };

  router.get('/app/installs/:id', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    const done = typeof ctx.query.done === 'string' ? DONE_MESSAGES[ctx.query.done] : undefined;
    await renderStatus(ctx, current, install, done ? { done } : {});
  });

  router.get('/app/installs/:id/status.json', async (ctx) => {
    const { install } = await ownInstall(ctx);
    ctx.body = statusView(await reporter.status(install));
  });

  const FAILURES_SHOWN = 5_000;

  router.get('/app/installs/:id/failures', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    ctx.type = 'html';
    ctx.body = failuresPage({
      installId: install.id,
      groups: groupFailures(await service.failures(install, FAILURES_SHOWN)),
      signedIn: header(current),
    });
  });

  router.get('/app/installs/:id/failures.csv', async (ctx) => {
    const { install } = await ownInstall(ctx);
    ctx.type = 'text/csv; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="failures-${install.id}.csv"`);
    ctx.body = failuresCsv(groupFailures(await service.failures(install, FAILURES_SHOWN)));
  });

  router.post('/app/installs/:id/resync', csrf, async (ctx) => {
    const { install } = await ownInstall(ctx);
    if (install.status === 'disabled')
      throw new HttpError(409, 'disabled', 'This install is disconnected; connect again to sync.');
    if (install.status === 'failed') {
      throw new HttpError(
        409,
        'install_stopped',
        'Resync cannot run while the sync is stopped: reconnect Intercom or Stripe on the status page (the message there says which), and the resync starts by itself.',
      );
    }
    await service.resync(install);
    ctx.status = 303;
    ctx.redirect(`/app/installs/${install.id}?done=resync`);
  });

  const reconnectInput = {
    intercom: z.object({ intercomToken: z.string().trim().min(8, 'Paste the Intercom access token.') }),
    stripe: z.object({ stripeKey: stripeKeySchema }),
  };

  type Reconnect = (ctx: Context, current: SignedIn, install: Install) => Promise<void>;

  /** How each reconnect form replaces a credential, and which form (and message) it belongs to. */
  const reconnects: Record<string, { form: 'intercom' | 'stripe'; replace: Reconnect }> = {
    intercom: {
      form: 'intercom',
      replace: async (ctx, _current, install) => {
        const { intercomToken } = reconnectInput.intercom.parse(form(ctx));
        await rotate(install, { intercom: { accessToken: intercomToken } }, 'intercomToken');
      },
    },
    // Through Intercom OAuth: the token this browser's latest Intercom sign-in holds becomes the install's.
    'intercom-signin': {
      form: 'intercom',
      replace: async (_ctx, current, install) => {
        const accessToken = secrets.open(current.intercom.tokenSealed);
        await rotate(install, { intercom: { accessToken } }, 'intercomToken');
      },
    },
    stripe: {
      form: 'stripe',
      replace: async (ctx, _current, install) => {
        const { stripeKey } = reconnectInput.stripe.parse(form(ctx));
        if (!isLiveKey(stripeKey) && install.livemode) {
          throw new HttpError(
            422,
            'test_mode_not_allowed',
            'This install syncs live data: paste a live key (rk_live_…).',
            'stripeKey',
          );
        }
        // A pasted key also replaces an OAuth grant (the install service wipes the grant).
        await rotate(install, { stripe: { apiKey: stripeKey } }, 'stripeKey');
      },
    },
  };

  for (const [path, reconnect] of Object.entries(reconnects)) {
    router.post(`/app/installs/:id/reconnect/${path}`, csrf, async (ctx) => {
      const { current, install } = await ownInstall(ctx);
      if (install.status === 'disabled')
        throw new HttpError(409, 'disabled', 'This install is disconnected; connect again.');
      await withFieldErrors(
        ctx,
        async () => {
          // A stopped install starts again once the new credential verifies, with a resync (the install service).
          await reconnect.replace(ctx, current, install);
          const resumed = install.status === 'failed' ? '-resumed' : '';
          ctx.status = 303;
          ctx.redirect(`/app/installs/${install.id}?done=${reconnect.form}${resumed}`);
        },
        (error) =>
          renderStatus(ctx, current, install, { formError: { ...error, form: reconnect.form } }).then(() =>
            String(ctx.body),
          ),
      );
    });
  }

  /** Rotates a credential; a refusal names the page's field (not the API's). */
  async function rotate(install: Install, request: Parameters<InstallService['rotateCredentials']>[1], field: string) {
    try {
      await service.rotateCredentials(install, request);
    } catch (err) {
      throw asFormError(err, field);
    }
  }

  router.post('/app/installs/:id/alerts', csrf, async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    await withFieldErrors(
      ctx,
      async () => {
        let url: string;
        try {
          url = checkAlertUrl(form(ctx).url ?? '', config);
        } catch (err) {
          if (err instanceof AlertUrlRejected) throw new HttpError(422, 'alert_url_rejected', err.message, 'url');
          throw err;
        }
        await setAlertTarget(pool, install.id, secrets.seal(url));
        ctx.status = 303;
        ctx.redirect(`/app/installs/${install.id}?done=alerts#alerts`);
      },
      (error) =>
        renderStatus(ctx, current, install, { formError: { ...error, form: 'alerts' } }).then(() => String(ctx.body)),
    );
  });

  router.post('/app/installs/:id/alerts/test', csrf, async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    const target = await findAlertTarget(pool, install.id);
    if (!target) throw new HttpError(409, 'no_alert_webhook', 'Save an alert webhook first.');
    const where = {
      workspace: current.intercom.workspaceName,
      statusUrl: `${config.PUBLIC_URL}/app/installs/${install.id}`,
    };
    const sent = await postAlert(
      secrets.open(target.urlSealed),
      alertPayload('test', where, 'This is a test: alerts for this install arrive here.'),
    );
    await recordAlertSent(pool, install.id, { state: null, result: `test alert ${sent.result}` });
    ctx.status = 303;
    ctx.redirect(`/app/installs/${install.id}?done=${sent.ok ? 'alert-test' : 'alert-test-failed'}#alerts`);
  });

  router.post('/app/installs/:id/alerts/remove', csrf, async (ctx) => {
    const { install } = await ownInstall(ctx);
    await removeAlertTarget(pool, install.id);
    ctx.status = 303;
    ctx.redirect(`/app/installs/${install.id}?done=alerts-removed#alerts`);
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
