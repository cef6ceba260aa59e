import type { Middleware } from 'koa';
import { bearerTokenMatches } from '../auth/bearer-token';
import { HttpError } from './errors';

/** Requires `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time. */
export function requireAdminToken(adminToken: string): Middleware {
  return requireBearerToken(adminToken, 'admin');
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
