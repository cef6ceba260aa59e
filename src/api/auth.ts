import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { HttpError } from './errors';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Requires `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function requireAdminToken(adminToken: string): Middleware {
  return requireBearerToken(adminToken, 'admin');
}

/** Whether an Authorization header is `Bearer <token>`, compared in constant time. */
export function bearerTokenMatches(header: string, token: string): boolean {
  const presented = /^Bearer (.+)$/i.exec(header)?.[1];
  return presented !== undefined && timingSafeEqual(digest(presented), digest(token));
}

/** Requires `Authorization: Bearer <token>`; `name` says which token in the 401. */
export function requireBearerToken(token: string, name: string): Middleware {
  return async (ctx, next) => {
    if (!bearerTokenMatches(ctx.get('authorization'), token)) {
      throw new HttpError(401, 'unauthorized', `a valid ${name} bearer token is required`, 'authorization');
    }
    await next();
  };
}
