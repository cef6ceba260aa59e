import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Install } from '../../db/installs';
import { findAlertTarget, recordAlertSent, removeAlertTarget, setAlertTarget } from '../../db/alerts';
import { finSecretHint } from '../../db/fin-secrets';
import { activeInstallsOfWorkspace, choosePrimary } from '../../db/support-reads';
import { issueFinSecret } from '../../installs/fin-secret';
import { isLiveKey, type InstallService } from '../../installs/install-service';
import { failuresCsv, groupFailures } from '../../status/failure-groups';
import { AlertUrlRejected, alertPayload, checkAlertUrl, postAlert } from '../../status/alerts';
import { HttpError } from '../errors';
import { requireCsrf } from '../web-session';
import type { FieldError } from '../pages/connect';
import { failuresPage } from '../pages/failures-page';
import { installStatusPage, type StatusFormError } from '../pages/status';
import { statusView } from '../pages/status-view';
import { intercomOAuthEnabled } from './oauth';
import { asFormError, stripeKeySchema, type PageKit, type PagesRouterDeps, type SignedIn } from './page-kit';

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
  primary: 'Primary Stripe account changed: the inbox card and Fin now list its customers first.',
};

const FAILURES_SHOWN = 5_000;

/** Re-renders the status page with a form's refusal beside its field (a render for kit.withFieldErrors). */
export type RefusedOnStatusPage = (
  ctx: Context,
  current: SignedIn,
  install: Install,
  form: StatusFormError['form'],
) => (error: FieldError) => Promise<string>;

/**
 * The status page and its forms: failures, resync, reconnect, alerts, disconnect, and the support settings of issue 22
 * (Fin secret, primary Stripe account). Every route is the signed-in admin's own install (kit.ownInstall).
 */
export function addStatusPageRoutes(router: Router, deps: PagesRouterDeps, kit: PageKit): RefusedOnStatusPage {
  const { config, pool, secrets, service, reporter } = deps;
  const { ownInstall, header, withFieldErrors, form } = kit;
  const csrf = requireCsrf(config);

  async function renderStatus(
    ctx: Context,
    current: SignedIn,
    install: Install,
    extra: { formError?: StatusFormError; done?: string; issuedSecret?: string } = {},
  ): Promise<void> {
    const [status, alerts, finSecret, accounts] = await Promise.all([
      reporter.status(install),
      findAlertTarget(pool, install.id),
      finSecretHint(pool, install.id),
      activeInstallsOfWorkspace(pool, install.intercomWorkspaceId),
    ]);
    const { issuedSecret, ...shown } = extra;
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
      support: {
        finSecret,
        ...(issuedSecret ? { issuedSecret } : {}),
        connectorUrl: `${config.PUBLIC_URL}/fin/customers?email={email}`,
        accounts,
      },
      ...shown,
    });
  }
  const renderRefused: RefusedOnStatusPage = (ctx, current, install, formName) => (error) =>
    renderStatus(ctx, current, install, { formError: { ...error, form: formName } }).then(() => String(ctx.body));

  router.get('/app/installs/:id', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    const done = typeof ctx.query.done === 'string' ? DONE_MESSAGES[ctx.query.done] : undefined;
    await renderStatus(ctx, current, install, done ? { done } : {});
  });

  router.get('/app/installs/:id/status.json', async (ctx) => {
    const { install } = await ownInstall(ctx);
    ctx.body = statusView(await reporter.status(install));
  });

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
        renderRefused(ctx, current, install, reconnect.form),
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
      renderRefused(ctx, current, install, 'alerts'),
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

  // The Fin secret is in this answer only (rendered, never redirected with it): reloading shows the hint again.
  router.post('/app/installs/:id/fin-secret', csrf, async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    if (install.status === 'disabled')
      throw new HttpError(409, 'disabled', 'This install is disconnected; connect again to answer Fin.');
    const { secret } = await issueFinSecret(pool, install.id);
    ctx.set('Cache-Control', 'no-store');
    await renderStatus(ctx, current, install, { issuedSecret: secret });
  });

  router.post('/app/installs/:id/primary', csrf, async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    await withFieldErrors(
      ctx,
      async () => {
        const chosen = form(ctx).primary ?? '';
        const accounts = await activeInstallsOfWorkspace(pool, install.intercomWorkspaceId);
        if (!accounts.some((account) => account.id === chosen)) {
          throw new HttpError(
            422,
            'unknown_account',
            chosen === ''
              ? 'Choose one of the Stripe accounts below.'
              : 'That Stripe account is not connected to this workspace (any more): reload the page and choose again.',
            'primary',
          );
        }
        await choosePrimary(pool, install.intercomWorkspaceId, chosen);
        ctx.status = 303;
        ctx.redirect(`/app/installs/${install.id}?done=primary#primary-account`);
      },
      renderRefused(ctx, current, install, 'primary'),
    );
  });
  return renderRefused;
}
