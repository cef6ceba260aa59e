import type { Middleware } from 'koa';
import { ApiError } from '../errors';
import { newRequestId } from '../ids';
import type { Workspace } from '../workspace';

/** Per-request state: the id every answer carries, and the workspace the bearer token opened. */
export interface State {
  requestId: string;
  workspace?: Workspace;
}

/**
 * Outermost middleware: gives each request an id (`X-Request-Id`, and `request_id` in errors) and turns every
 * failure, including unmatched routes and the emulator's own bugs, into Intercom's `error.list` body.
 */
export const errorEnvelope: Middleware<State> = async (ctx, next) => {
  const requestId = newRequestId();
  ctx.state.requestId = requestId;
  ctx.set('X-Request-Id', requestId);
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw new ApiError(404, 'not_found', 'Resource Not Found');
  } catch (error) {
    // A client that hung up before its body arrived (killed by a fault test) is no emulator bug.
    const aborted = (error as { code?: unknown }).code === 'ECONNRESET';
    if (!(error instanceof ApiError) && !aborted) console.error('intercom emulator: unexpected error', error);
    const apiError = error instanceof ApiError ? error : new ApiError(500, 'server_error', 'Server Error');
    ctx.status = apiError.status;
    ctx.body = apiError.toBody(requestId);
  }
};
