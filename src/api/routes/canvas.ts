import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from '../../config';
import type { InstallWorkflows } from '../../temporal-client/workflows';
import { buildCard, REFRESH_COMPONENT_ID } from '../../canvas/card';
import type { CanvasResponse } from '../../canvas/components';
import { canvasSignatureMatches } from '../../canvas/signature';
import { ACTION_TOKEN_KEY, CanvasActionTokens, type ActionTokenCheck } from '../../canvas/action-token';
import { customersOfContact } from '../../customer-view/contact-customers';
import { customerFacts } from '../../customer-view/facts';
import { rereadShownCustomers } from '../../customer-view/reread';
import { HttpError } from '../errors';
import { readBoundedBody } from '../json-body';
import { createRouter } from '../router';
import type { AppState } from '../app';

export interface CanvasRouterDeps {
  pool: Pool;
  config: Config;
  workflows: InstallWorkflows;
  /** How long "Refresh from Stripe" waits for the worker's re-read before redrawing (default 5 s). */
  refreshWaitMs?: number;
}

/**
 * The fields of Canvas Kit's initialize and submit requests the card uses (Intercom sends more: admin, conversation,
 * context, current_canvas; https://developers.intercom.com/docs/canvas-kit). Unknown keys are ignored.
 */
const canvasRequestSchema = z.object({
  workspace_id: z.string().min(1).max(64),
  contact: z.object({ id: z.string().min(1).max(64).nullish(), email: z.string().max(512).nullish() }).nullish(),
  component_id: z.string().max(200).nullish(),
  stored_data: z.record(z.string(), z.unknown()).nullish(),
});

type CanvasRequest = z.infer<typeof canvasRequestSchema>;

/** What a submit request's action token allowed: the action, or a redraw saying why it did not run. */
const ACTION_REFUSED: Record<Exclude<ActionTokenCheck, 'ok'>, HttpError | string> = {
  forged: new HttpError(
    401,
    'invalid_action_token',
    'stored_data.action is not a card this service drew',
    'stored_data',
  ),
  replayed: new HttpError(409, 'replayed_request', 'this submit request was already answered', 'stored_data'),
  stale: 'This card was drawn over an hour ago, so Refresh did not run: press it again.',
};

/**
 * The inbox card (issue 22): Intercom POSTs `/intercom/canvas/initialize` when a teammate opens the conversation
 * details panel and `/intercom/canvas/submit` when they press a button. Each request must carry `X-Body-Signature`
 * (hex HMAC-SHA256 of the raw body with INTERCOM_CLIENT_SECRET), and a submit the action token of the card it was
 * pressed on (single use, an hour: canvas/action-token.ts); the answer is drawn from the PostgreSQL mirror only
 * (no Stripe call) for the installs of the request's own workspace, so a signed request names whose data it may see.
 */
export function createCanvasRouter(deps: CanvasRouterDeps): Router<AppState> {
  const router = createRouter<AppState>({ prefix: '/intercom/canvas' });
  const refreshWaitMs = deps.refreshWaitMs ?? 5_000;
  const tokens = new CanvasActionTokens(deps.pool, deps.config);
  const contactKey = (request: CanvasRequest) => request.contact?.id ?? request.contact?.email ?? '';

  async function signedRequest(ctx: Context): Promise<CanvasRequest> {
    const secret = deps.config.INTERCOM_CLIENT_SECRET;
    if (!secret) {
      throw new HttpError(
        503,
        'not_configured',
        'the inbox card needs INTERCOM_CLIENT_SECRET',
        'INTERCOM_CLIENT_SECRET',
      );
    }
    const raw = await readBoundedBody(ctx);
    if (!canvasSignatureMatches(raw, ctx.get('x-body-signature') || undefined, secret)) {
      throw new HttpError(401, 'invalid_signature', 'X-Body-Signature does not sign this body', 'x-body-signature');
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'invalid_json', 'the body is not valid JSON', 'body');
    }
    return canvasRequestSchema.parse(json);
  }

  async function answer(ctx: Context, request: CanvasRequest, refresh: boolean, refusal?: string) {
    const contact = { id: request.contact?.id ?? null, email: request.contact?.email ?? null };
    const now = new Date();
    let shown = await customersOfContact(deps.pool, request.workspace_id, contact, now);
    let notice = refusal;
    if (refresh && shown.customers.length > 0) {
      const done = await rereadShownCustomers(deps, shown.customers, refreshWaitMs);
      notice = done ? 'Refreshed from Stripe just now' : 'Refresh requested: Stripe is being read again';
      shown = await customersOfContact(deps.pool, request.workspace_id, contact, new Date());
    }
    const canvas = buildCard({
      customers: shown.customers.map(customerFacts),
      accounts: shown.accounts,
      now: Math.floor(now.getTime() / 1000),
      ...(notice ? { notice } : {}),
      storedData: { [ACTION_TOKEN_KEY]: tokens.issue(request.workspace_id, contactKey(request)) },
    });
    ctx.body = { canvas } satisfies CanvasResponse;
  }

  router.post('/initialize', async (ctx) => {
    await answer(ctx, await signedRequest(ctx), false);
  });
  router.post('/submit', async (ctx) => {
    const request = await signedRequest(ctx);
    const token = request.stored_data?.[ACTION_TOKEN_KEY];
    const check = await tokens.consume(token, request.workspace_id, contactKey(request));
    const refused = check === 'ok' ? undefined : ACTION_REFUSED[check];
    if (refused instanceof HttpError) throw refused;
    await answer(ctx, request, refused === undefined && request.component_id === REFRESH_COMPONENT_ID, refused);
  });
  return router;
}
