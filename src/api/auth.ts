import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { HttpError } from './errors';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Requires `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function requireAdminToken(adminToken: string): Middleware {
  const expected = digest(adminToken);
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const presented = /^Bearer (.+)$/i.exec(header)?.[1];
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw new HttpError(401, 'unauthorized', 'a valid admin bearer token is required', 'authorization');
    }
    await next();
  };
}
