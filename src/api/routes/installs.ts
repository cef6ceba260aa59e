import Router from '@koa/router';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Config } from '../../config';
import { HttpError } from '../errors';
import { readJsonBody } from '../json-body';
import { CredentialRejected } from '../../installs/credentials';
import { isLiveKey, type InstallService } from '../../installs/install-service';
import type { Install } from '../../db/installs';

/** Intercom attribute names allow letters, digits, `_` and `-`; the prefix starts every one of ours. */
const attributeName = /^[A-Za-z][A-Za-z0-9_-]*$/;

export const installRequestSchema = z
  .object({
    stripe: z
      .object({
        apiKey: z
          .string()
          .regex(/^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/, 'expected a Stripe secret or restricted key (sk_… or rk_…)'),
      })
      .strict(),
    intercom: z
      .object({
        accessToken: z.string().min(8, 'expected an Intercom access token'),
        region: z.enum(['us', 'eu', 'au']).default('us'),
      })
      .strict(),
    attributePrefix: z.string().max(40).regex(attributeName, 'letters, digits, _ and - only').default('STRIPE_'),
    matchBy: z
      .string()
      .regex(/^(email|metadata:[A-Za-z0-9_.-]{1,40})$/, "expected 'email' or 'metadata:<key>'")
      .default('email'),
    metadataAttributes: z
      .array(z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'metadata keys: letters, digits, _ . - (≤40)'))
      .max(50)
      .default([]),
  })
  .strict();

export function createInstallRouter(deps: {
  service: InstallService;
  config: Config;
  requireAdmin: Middleware;
}): Router {
  const { service, config } = deps;
  const router = new Router({ prefix: '/installs' });
  router.use(deps.requireAdmin);

  async function loadInstall(id: string): Promise<Install> {
    const install = /^ins_[A-Za-z0-9_-]{1,40}$/.test(id) ? await service.find(id) : undefined;
    if (!install) throw new HttpError(404, 'not_found', `no install with id ${id}`, 'id');
    return install;
  }

  const statusUrl = (id: string) => `${config.PUBLIC_URL}/installs/${id}`;

  router.post('/', async (ctx) => {
    const request = installRequestSchema.parse(await readJsonBody(ctx));
    if (!isLiveKey(request.stripe.apiKey) && !config.ALLOW_TEST_MODE) {
      throw new HttpError(
        422,
        'test_mode_not_allowed',
        'a live Stripe key (sk_live_… or rk_live_…) is required; set ALLOW_TEST_MODE=true for a test-mode install',
        'stripe.apiKey',
      );
    }
    try {
      const { install, created } = await service.install(request);
      ctx.status = created ? 202 : 200;
      ctx.body = {
        id: install.id,
        state: install.status,
        created,
        statusUrl: statusUrl(install.id),
        // Links only: the full status queries the workflows, which waits for a worker that may not be up yet.
        workflows: service.workflowLinks(install.id),
      };
    } catch (err) {
      if (err instanceof CredentialRejected) throw new HttpError(422, 'credential_rejected', err.message, err.field);
      throw err;
    }
  });

  router.get('/:id', async (ctx) => {
    ctx.body = await service.status(await loadInstall(ctx.params.id as string));
  });

  router.get('/:id/failures', async (ctx) => {
    const limit = z.coerce.number().int().min(1).max(1000).default(100).parse(ctx.query.limit);
    const install = await loadInstall(ctx.params.id as string);
    ctx.body = { id: install.id, failures: await service.failures(install, limit) };
  });

  // Reads every customer from Stripe and every contact from Intercom: an operator's check, not a status poll.
  router.get('/:id/drift', async (ctx) => {
    ctx.body = await service.drift(await loadInstall(ctx.params.id as string));
  });

  router.post('/:id/resync', async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', 'the install is disabled', 'id');
    const result = await service.resync(install);
    ctx.status = result.started ? 202 : 200;
    ctx.body = { id: install.id, importId: result.importId, started: result.started, statusUrl: statusUrl(install.id) };
  });

  router.delete('/:id', async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    // Repeating a disable finishes one that failed half-way (Temporal down): it is idempotent.
    await service.disable(install);
    ctx.body = { id: install.id, state: 'disabled' };
  });

  return router;
}
