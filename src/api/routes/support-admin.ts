import type Router from '@koa/router';
import type { Middleware } from 'koa';
import { explainCustomer, type ExplainDeps } from '../../customer-view/explain';
import { issueFinSecret } from '../../installs/fin-secret';
import { findInstall } from '../../db/installs';
import { resyncCustomer } from '../../customer-view/reread';
import { activeInstallsOfWorkspace, choosePrimary } from '../../db/support-reads';
import { HttpError } from '../errors';
import { installOr404 } from '../install-param';
import { createRouter } from '../router';

/**
 * Admin routes of issue 22 under /installs, each carrying the admin guard itself (the route walk checks it).
 * `POST /installs/:id/fin-secret` makes the install's Fin secret, or replaces it (the old one stops at once); the
 * secret is in this answer only. `PUT /installs/:id/primary` makes the install its workspace's primary Stripe account
 * (listed first by the inbox card and Fin's answers) and answers the workspace's installs in that order.
 * `GET /installs/:id/customers/:customerId` (a customer id or an email) explains one customer (customer-view/explain.ts);
 * `POST /installs/:id/customers/:customerId/resync` re-reads it from Stripe and writes its contact again.
 */
export function createSupportAdminRouter(deps: ExplainDeps & { requireAdmin: Middleware }): Router {
  const router = createRouter({ prefix: '/installs' });
  const admin = deps.requireAdmin;
  const find = (id: string) => findInstall(deps.pool, id);

  router.post('/:id/fin-secret', admin, async (ctx) => {
    const install = await installOr404(find, ctx.params.id as string);
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', `install ${install.id} is disabled`, 'id');
    const { secret, createdAt } = await issueFinSecret(deps.pool, install.id);
    ctx.status = 201;
    ctx.body = {
      id: install.id,
      finSecret: secret,
      createdAt: createdAt.toISOString(),
      connector: {
        method: 'GET',
        url: `${deps.config.PUBLIC_URL}/fin/customers?email={email}`,
        headers: { Authorization: 'Bearer <finSecret>' },
      },
    };
  });

  router.put('/:id/primary', admin, async (ctx) => {
    const install = await installOr404(find, ctx.params.id as string);
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', `install ${install.id} is disabled`, 'id');
    await choosePrimary(deps.pool, install.intercomWorkspaceId, install.id);
    ctx.body = {
      workspaceId: install.intercomWorkspaceId,
      installs: (await activeInstallsOfWorkspace(deps.pool, install.intercomWorkspaceId)).map((one) => ({
        id: one.id,
        stripeAccountId: one.stripeAccountId,
        attributePrefix: one.attributePrefix,
        primary: one.primary,
      })),
    };
  });

  router.get('/:id/customers/:customerId', admin, async (ctx) => {
    const install = await installOr404(find, ctx.params.id as string);
    ctx.body = await explainCustomer(deps, install, ctx.params.customerId as string);
  });

  router.post('/:id/customers/:customerId/resync', admin, async (ctx) => {
    const install = await installOr404(find, ctx.params.id as string);
    const customerId = ctx.params.customerId as string;
    await resyncCustomer(deps, install, customerId);
    ctx.status = 202;
    ctx.body = { id: install.id, customerId, resync: 'requested' };
  });
  return router;
}
