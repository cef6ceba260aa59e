import Router from '@koa/router';
import type { DefaultState } from 'koa';

/**
 * Every router of the app comes from here, case-sensitive. @koa/router's default matches routes case-insensitively
 * but compiles `router.use()` paths case-sensitively, so `/INSTALLS/…` once reached the admin routes past their
 * guard. Sensitive routing makes a capitalised path match nothing (404); the admin routes also carry their guard
 * on each route (routes/installs.ts), so no path can reach a handler without it. eslint refuses `new Router` elsewhere.
 */
export function createRouter<State = DefaultState>(options: { prefix?: string } = {}): Router<State> {
  return new Router<State>({ ...options, sensitive: true });
}
