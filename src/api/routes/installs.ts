import type Router from '@koa/router';
import { createRouter } from '../router';
import { installOr404 } from '../install-param';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Config } from '../../config';
import { HttpError } from '../errors';
import { readJsonBody } from '../json-body';
import { CredentialCheckUnavailable, CredentialRejected } from '../../installs/credential-checks';
import { WebhookUrlRejected } from '../../webhooks/webhook-endpoints';
import { isLiveKey, type InstallService } from '../../installs/install-service';
import type { Install } from '../../db/installs';
import type { StatusReporter } from '../../status/report';
import { installStatusSchema } from '../../status/schema';
import { isReservedObjectKey, sanitizeMetadataKey } from '../../mapping';

/** Intercom attribute names allow letters, digits, `_` and `-`; the prefix starts every one of ours. */
const attributeName = /^[A-Za-z][A-Za-z0-9_-]*$/;

const stripeApiKey = z
  .string()
  .regex(/^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/, 'expected a Stripe secret or restricted key (sk_… or rk_…)');

/** Printable ASCII only: a token goes into an Authorization header, and messages never quote it back. */
const intercomAccessToken = z
  .string()
  .min(8, 'expected an Intercom access token')
  .max(512, 'expected an Intercom access token (at most 512 characters)')
  .regex(/^[\x21-\x7e]+$/, 'an access token has no spaces or control characters');

const metadataKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'metadata keys: letters, digits, _ . - (≤40)')
  .refine(
    (key) => !isReservedObjectKey(key),
    'a name every JavaScript object has (such as constructor) cannot be a key',
  );

export const installRequestSchema = z
  .object({
    stripe: z.object({ apiKey: stripeApiKey }).strict(),
    intercom: z
      .object({
        accessToken: intercomAccessToken,
        region: z.enum(['us', 'eu', 'au']).default('us'),
      })
      .strict(),
    attributePrefix: z.string().max(40).regex(attributeName, 'letters, digits, _ and - only').default('STRIPE_'),
    matchBy: z
      .string()
      .regex(/^(email|metadata:[A-Za-z0-9_.-]{1,40})$/, "expected 'email' or 'metadata:<key>'")
      .refine(
        (value) => !isReservedObjectKey(value.slice('metadata:'.length)),
        'a name every JavaScript object has (such as constructor) cannot be a metadata key',
      )
      .default('email'),
    metadataAttributes: z.array(metadataKey).max(50).default([]).superRefine(refuseAttributeClashes),
  })
  .strict();

/**
 * Two keys becoming one attribute (`a.b` and `a_b`, `Plan` and `plan`, or a key twice) would overwrite each other's
 * values; Intercom compares attribute names case-insensitively, so the second one's creation fails the install later.
 */
function refuseAttributeClashes(keys: string[], ctx: z.RefinementCtx): void {
  const keyByAttribute = new Map<string, string>();
  keys.forEach((key, index) => {
    const attribute = `<prefix>meta_${sanitizeMetadataKey(key)}`;
    const earlier = keyByAttribute.get(attribute.toLowerCase());
    if (earlier === undefined) keyByAttribute.set(attribute.toLowerCase(), key);
    else {
      const message =
        earlier === key ? `"${key}" is listed twice` : `"${earlier}" and "${key}" would both become ${attribute}`;
      ctx.addIssue({ code: 'custom', path: [index], message });
    }
  });
}

export const credentialsRequestSchema = z
  .object({
    stripe: z.object({ apiKey: stripeApiKey }).strict().optional(),
    intercom: z.object({ accessToken: intercomAccessToken }).strict().optional(),
  })
  .strict()
  .refine((request) => request.stripe || request.intercom, 'give stripe.apiKey, intercom.accessToken or both');

/** Credential checks become answers: refused (422, naming the field) or the vendor unreachable (503, try again). */
async function answeringCredentialErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CredentialRejected) throw new HttpError(422, 'credential_rejected', err.message, err.field);
    if (err instanceof CredentialCheckUnavailable) {
      throw new HttpError(503, 'upstream_unavailable', err.message, err.field);
    }
    if (err instanceof WebhookUrlRejected) throw new HttpError(422, 'public_url_rejected', err.message, 'PUBLIC_URL');
    throw err;
  }
}

export function createInstallRouter(deps: {
  service: InstallService;
  reporter: StatusReporter;
  config: Config;
  requireAdmin: Middleware;
}): Router {
  const { service, config } = deps;
  const router = createRouter({ prefix: '/installs' });
  // On each route, not `router.use()`: a guard belongs to the route it protects, so no spelling of a path can match
  // the handler without it (test/integration/admin-route-walk.test.ts walks every route for that).
  const admin = deps.requireAdmin;

  const loadInstall = (id: string): Promise<Install> => installOr404((one) => service.find(one), id);

  const statusUrl = (id: string) => `${config.PUBLIC_URL}/installs/${id}`;

  router.post('/', admin, async (ctx) => {
    const request = installRequestSchema.parse(await readJsonBody(ctx));
    if (!isLiveKey(request.stripe.apiKey) && !config.ALLOW_TEST_MODE) {
      throw new HttpError(
        422,
        'test_mode_not_allowed',
        'a live Stripe key (sk_live_… or rk_live_…) is required; set ALLOW_TEST_MODE=true for a test-mode install',
        'stripe.apiKey',
      );
    }
    const { install, created, credentials } = await answeringCredentialErrors(() => service.install(request));
    ctx.status = created ? 202 : 200;
    ctx.body = {
      id: install.id,
      state: install.status,
      created,
      // Installing again rotates: which stored credentials the ones given replaced.
      ...(credentials && { credentials }),
      statusUrl: statusUrl(install.id),
      // Links only: the full status queries the workflows, which waits for a worker that may not be up yet.
      workflows: service.workflowLinks(install.id),
    };
  });

  router.put('/:id/credentials', admin, async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    const request = credentialsRequestSchema.parse(await readJsonBody(ctx));
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', 'the install is disabled', 'id');
    const credentials = await answeringCredentialErrors(() => service.rotateCredentials(install, request));
    ctx.body = { id: install.id, credentials };
  });

  router.get('/:id', admin, async (ctx) => {
    // The status page's own model (progress, notices, badge, runs), with the operator's workflow links.
    ctx.body = installStatusSchema.parse(await deps.reporter.status(await loadInstall(ctx.params.id as string)));
  });

  router.get('/:id/failures', admin, async (ctx) => {
    const limit = z.coerce.number().int().min(1).max(1000).default(100).parse(ctx.query.limit);
    const install = await loadInstall(ctx.params.id as string);
    ctx.body = { id: install.id, failures: await service.failures(install, limit) };
  });

  // Reads every customer from Stripe and every contact from Intercom: an operator's check, run as a job (minutes on a
  // large account), its result read page by page.
  router.post('/:id/drift', admin, async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', 'the install is disabled', 'id');
    const job = service.startDrift(install);
    ctx.status = 202;
    ctx.body = {
      id: install.id,
      jobId: job.id,
      state: job.state,
      statusUrl: `/installs/${install.id}/drift/${job.id}`,
    };
  });

  const driftPage = z.object({
    offset: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  });
  const driftAnswer = async (ctx: Parameters<Middleware>[0], jobId: string | null) => {
    const { offset, limit } = driftPage.parse({ offset: ctx.query.offset, limit: ctx.query.limit });
    const install = await loadInstall(ctx.params.id as string);
    const job = service.driftJob(install, jobId, offset, limit);
    if (!job) {
      throw new HttpError(
        404,
        'not_found',
        `no drift job${jobId ? ` ${jobId}` : ''}: POST /installs/${install.id}/drift starts one`,
        'jobId',
      );
    }
    ctx.body = job;
  };
  router.get('/:id/drift', admin, (ctx) => driftAnswer(ctx, null));
  router.get('/:id/drift/:jobId', admin, (ctx) => driftAnswer(ctx, ctx.params.jobId as string));

  router.post('/:id/resync', admin, async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    if (install.status === 'disabled') throw new HttpError(409, 'disabled', 'the install is disabled', 'id');
    if (install.status === 'failed') {
      throw new HttpError(
        409,
        'install_stopped',
        `the install stopped (${install.lastError ?? 'see lastError'}): replace the refused credential with PUT /installs/${install.id}/credentials, which starts it again with a resync`,
        'id',
      );
    }
    const result = await service.resync(install);
    ctx.status = result.started ? 202 : 200;
    ctx.body = { id: install.id, importId: result.importId, started: result.started, statusUrl: statusUrl(install.id) };
  });

  router.delete('/:id', admin, async (ctx) => {
    const install = await loadInstall(ctx.params.id as string);
    // Repeating a disable finishes one that failed half-way (Temporal down): it is idempotent.
    await service.disable(install);
    ctx.body = { id: install.id, state: 'disabled' };
  });

  return router;
}
