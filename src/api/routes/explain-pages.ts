import type Router from '@koa/router';
import { explainCustomer, findExplainable, type ExplainDeps } from '../../customer-view/explain';
import { resyncCustomer } from '../../customer-view/reread';
import { requireCsrf } from '../web-session';
import { explainPage } from '../pages/explain-page';
import { HttpError } from '../errors';
import type { PageKit, PagesRouterDeps } from './page-kit';
import type { RefusedOnStatusPage } from './status-pages';

/** How long after "Resync this customer" the page still says it was queued (its redirect carries the time). */
const QUEUED_NOTICE_MS = 10 * 60_000;

/**
 * One customer explained as a page (issue 22), for the signed-in admins of the install's workspace: the look-up form
 * of the status page lands on `/app/installs/:id/customers?customer=<id or email>`, which opens the customer's page;
 * "Resync this customer" posts (CSRF-checked) and comes back to it saying when it was queued.
 */
export function addExplainPageRoutes(
  router: Router,
  deps: PagesRouterDeps,
  kit: PageKit,
  refusedOnStatusPage: RefusedOnStatusPage,
): void {
  const { ownInstall, header, withFieldErrors } = kit;
  const csrf = requireCsrf(deps.config);
  const explainDeps: ExplainDeps = {
    ...deps,
    driftPage: (install, offset, limit) => deps.service.driftJob(install, null, offset, limit),
  };
  const pageOf = (installId: string, customerId: string) =>
    `/app/installs/${installId}/customers/${encodeURIComponent(customerId)}`;

  router.get('/app/installs/:id/customers', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    const key = typeof ctx.query.customer === 'string' ? ctx.query.customer.trim() : '';
    const state = ctx.state as { form: Record<string, string> };
    state.form = { customer: key };
    await withFieldErrors(
      ctx,
      async () => {
        if (key === '')
          throw new HttpError(422, 'missing', 'Enter a Stripe customer id (cus_…) or an email.', 'customer');
        const [newest] = await findExplainable(deps, install, key, 'customer');
        ctx.redirect(pageOf(install.id, newest?.customerId ?? key));
      },
      // The status page again, the refusal beside the look-up field.
      refusedOnStatusPage(ctx, current, install, 'customer'),
    );
  });

  router.get('/app/installs/:id/customers/:customerId', async (ctx) => {
    const { current, install } = await ownInstall(ctx);
    const explained = await explainCustomer(explainDeps, install, String(ctx.params.customerId));
    const queued = Number(ctx.query.queued);
    const recent = Number.isFinite(queued) && Math.abs(Date.now() - queued) < QUEUED_NOTICE_MS;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = explainPage({
      installId: install.id,
      explained,
      csrfToken: current.csrfToken,
      signedIn: header(current),
      ...(recent ? { resyncQueuedAt: new Date(queued) } : {}),
    });
  });

  router.post('/app/installs/:id/customers/:customerId/resync', csrf, async (ctx) => {
    const { install } = await ownInstall(ctx);
    const customerId = String(ctx.params.customerId);
    const queuedAt = await resyncCustomer(deps, install, customerId);
    ctx.status = 303;
    ctx.redirect(`${pageOf(install.id, customerId)}?queued=${queuedAt.getTime()}#resync-queued`);
  });
}
