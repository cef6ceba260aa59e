import Router from '@koa/router';
import { readBody } from '../api/read-body';
import { StripeApiError, invalidRequest } from '../errors';

/** Functions callable over HTTP, each taking JSON-serializable arguments. */
export type RpcMethods = Record<string, (...args: never[]) => unknown>;

/**
 * The admin API over HTTP, for the demo and other processes: `POST /_emulator/<method>` with a JSON body
 * that is the argument list (an array) or the single argument (anything else); `GET` calls take no
 * arguments. The answer is the method's JSON result.
 */
export function createAdminRouter(methods: RpcMethods): Router {
  const router = new Router({ prefix: '/_emulator' });
  const call = async (name: string, args: unknown[]): Promise<unknown> => {
    if (!Object.hasOwn(methods, name)) {
      throw new StripeApiError(404, 'invalid_request_error', `Unknown admin method: ${name}`);
    }
    const method = methods[name] as (...args: unknown[]) => unknown;
    return method(...args);
  };
  router.get('/', (ctx) => {
    ctx.body = { methods: Object.keys(methods).sort() };
  });
  router.get('/:method', async (ctx) => {
    ctx.type = 'json';
    ctx.body = JSON.stringify((await call(ctx.params.method as string, [])) ?? null);
  });
  router.post('/:method', async (ctx) => {
    const text = await readBody(ctx.req);
    let body: unknown;
    try {
      body = text.trim() === '' ? undefined : JSON.parse(text);
    } catch {
      throw invalidRequest('The admin API expects a JSON body.');
    }
    const args = body === undefined ? [] : Array.isArray(body) ? body : [body];
    ctx.type = 'json';
    ctx.body = JSON.stringify((await call(ctx.params.method as string, args)) ?? null);
  });
  return router;
}
