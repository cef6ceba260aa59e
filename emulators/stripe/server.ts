import { type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import type Router from '@koa/router';
import Koa from 'koa';
import { ZodError, z } from 'zod';
import { StripeApiError } from './errors';
import { type Ids } from './ids';
import { apiVersion } from './types';

/** Turns every failure into Stripe's error envelope, so clients (and the SDK) see what Stripe would send. */
function errorEnvelope(ids: Ids): Koa.Middleware {
  return async (ctx, next) => {
    ctx.set('Request-Id', ids.next('req', 14));
    ctx.set('Stripe-Version', apiVersion);
    try {
      await next();
    } catch (error) {
      const apiError =
        error instanceof StripeApiError
          ? error
          : error instanceof ZodError
            ? new StripeApiError(400, 'invalid_request_error', z.prettifyError(error))
            : new StripeApiError(500, 'api_error', error instanceof Error ? error.message : String(error));
      ctx.status = apiError.status;
      ctx.body = apiError.body();
    }
  };
}

export interface Listening {
  server: Server;
  port: number;
}

export async function listen(routers: Router[], ids: Ids, host: string, port: number): Promise<Listening> {
  const app = new Koa();
  app.use(errorEnvelope(ids));
  for (const router of routers) app.use(router.routes());
  app.use((ctx) => {
    throw new StripeApiError(404, 'invalid_request_error', `Unrecognized request URL (${ctx.method}: ${ctx.path}).`);
  });
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  return { server, port: (server.address() as AddressInfo).port };
}

export function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
