import { STATUS_CODES } from 'node:http';
import type { Middleware } from 'koa';
import { z } from 'zod';
import type { Logger } from '../logger';
import { HttpError } from '../shared/http-error';

export { HttpError };

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

interface Mapped {
  status: number;
  body: ErrorBody;
  /** Unknown failures: the client gets a generic 500, the log gets the error. */
  internal: boolean;
}

/** `payload_too_large` from 413, for errors that carry only a status. */
function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? `http_${status}`).toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** Koa's ctx.throw and body parsers raise errors with `status` and `expose`; their 4xx messages are meant for clients. */
function exposedClientError(error: unknown): { status: number; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, expose, message } = error as { status?: unknown; expose?: unknown; message?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499 || expose !== true) return undefined;
  return { status, message: typeof message === 'string' ? message : codeForStatus(status) };
}

export function mapError(error: unknown): Mapped {
  if (error instanceof HttpError) {
    const field = error.field === undefined ? {} : { field: error.field };
    return {
      status: error.status,
      body: { error: { code: error.code, message: error.message, ...field } },
      internal: false,
    };
  }
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    // An unknown key is reported on the object holding it: blame the key itself.
    const path = issue?.code === 'unrecognized_keys' ? [...issue.path, ...issue.keys.slice(0, 1)] : (issue?.path ?? []);
    const field = path.length > 0 ? { field: path.map(String).join('.') } : {};
    const message = issue?.message ?? 'invalid request';
    return { status: 400, body: { error: { code: 'invalid_request', message, ...field } }, internal: false };
  }
  const client = exposedClientError(error);
  if (client) {
    return {
      status: client.status,
      body: { error: { code: codeForStatus(client.status), message: client.message } },
      internal: false,
    };
  }
  return { status: 500, body: { error: { code: 'internal_error', message: 'internal error' } }, internal: true };
}

/** Renders an error as an HTML page, for requests made by the install pages (ctx.state.htmlErrors). */
export type ErrorPageRenderer = (status: number, body: ErrorBody) => string;

/**
 * The one place thrown errors become responses: `{ error: { code, message, field? } }`, or an HTML page with the same
 * message for the browser pages. Also gives unmatched routes the same JSON shape. Logs with the request's logger when
 * the request-logging middleware has set one.
 */
export function errorMiddleware(
  fallbackLogger: Logger,
  renderPage?: ErrorPageRenderer,
): Middleware<{ log?: Logger; htmlErrors?: boolean }> {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        const body = { error: { code: 'not_found', message: `no route for ${ctx.method} ${ctx.path}` } };
        // A browser (it prefers HTML) gets a page with a way back; API clients keep the JSON shape.
        if (renderPage && ctx.accepts('json', 'html') === 'html') {
          ctx.type = 'html';
          ctx.body = renderPage(404, {
            error: { code: 'not_found', message: 'There is no page at this address. It may have moved.' },
          });
        } else ctx.body = body satisfies ErrorBody;
      }
    } catch (error) {
      const mapped = mapError(error);
      const log = ctx.state.log ?? fallbackLogger;
      if (mapped.internal) log.error({ err: error }, 'request failed');
      else log.debug({ err: error, status: mapped.status }, 'request rejected');
      ctx.status = mapped.status;
      if (renderPage && ctx.state.htmlErrors) {
        ctx.type = 'html';
        ctx.body = renderPage(mapped.status, mapped.body);
      } else {
        ctx.body = mapped.body;
      }
    }
  };
}
