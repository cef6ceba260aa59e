import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from '../../config';
import { installOfFinSecret } from '../../db/fin-secrets';
import { finSecretSha256 } from '../../installs/fin-secret';
import { customersOfContact } from '../../customer-view/contact-customers';
import { customerFacts } from '../../customer-view/facts';
import { finAnswer } from '../../customer-view/fin-answer';
import { HttpError } from '../errors';
import { rateLimitPerClient } from '../rate-limit';
import { createRouter } from '../router';
import type { AppState } from '../app';

type FinState = AppState & { finInstall?: { installId: string; workspaceId: string } };

const finQuerySchema = z
  .object({
    email: z.string().trim().min(3).max(512).optional(),
    contact_id: z.string().trim().min(1).max(64).optional(),
  })
  .refine((query) => query.email !== undefined || query.contact_id !== undefined, {
    message: 'give email or contact_id',
    path: ['email'],
  });

/**
 * Answers for Fin (issue 22): `GET /fin/customers?email=…` or `?contact_id=…`, for Intercom's data connectors, with
 * `Authorization: Bearer <the install's Fin secret>`. Billing facts of the contact's Stripe customers in every
 * install of the secret's workspace, from the mirror only; FIN_REQUESTS_PER_MINUTE per secret (429 beyond).
 */
export function createFinRouter(deps: { pool: Pool; config: Config }): Router<FinState> {
  const router = createRouter<FinState>({ prefix: '/fin' });
  const authenticate: Middleware<FinState> = async (ctx, next) => {
    const presented = /^Bearer (.+)$/i.exec(ctx.get('authorization'))?.[1];
    const found = presented === undefined ? undefined : await installOfFinSecret(deps.pool, finSecretSha256(presented));
    if (!found) throw new HttpError(401, 'unauthorized', 'a valid Fin bearer secret is required', 'authorization');
    ctx.state.finInstall = found;
    await next();
  };
  const limit = rateLimitPerClient({
    limit: deps.config.FIN_REQUESTS_PER_MINUTE,
    windowMs: 60_000,
    what: 'Fin requests',
    client: { of: (ctx) => (ctx.state as FinState).finInstall?.installId ?? ctx.ip, name: 'install' },
  });

  router.get('/customers', authenticate, limit, async (ctx) => {
    const query = finQuerySchema.parse(ctx.query);
    const { workspaceId } = ctx.state.finInstall as NonNullable<FinState['finInstall']>;
    const contact = { id: query.contact_id ?? null, email: query.email ?? null };
    const shown = await customersOfContact(deps.pool, workspaceId, contact, new Date());
    ctx.body = finAnswer(shown.customers.map(customerFacts));
  });
  return router;
}
