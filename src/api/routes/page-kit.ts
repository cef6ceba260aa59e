import type { Context } from 'koa';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Config } from '../../config';
import type { SecretBox } from '../../crypto/secret-box';
import type { SessionStore, WebSession } from '../../auth/sessions';
import type { Install } from '../../db/installs';
import { CredentialCheckUnavailable, CredentialRejected } from '../../installs/credential-checks';
import type { InstallService } from '../../installs/install-service';
import type { PreviewRunner } from '../../temporal-client/previews';
import type { InstallWorkflows } from '../../temporal-client/workflows';
import type { StatusReporter } from '../../status/report';
import { HttpError, mapError } from '../errors';
import type { PageState } from '../web-session';
import type { FieldError } from '../pages/connect';
import type { Layout } from '../pages/layout';

export interface PagesRouterDeps {
  config: Config;
  pool: Pool;
  secrets: SecretBox;
  sessions: SessionStore;
  service: InstallService;
  previews: PreviewRunner;
  reporter: StatusReporter;
  workflows: InstallWorkflows;
}

export const stripeKeySchema = z
  .string()
  .trim()
  .regex(
    /^(sk|rk)_(live|test)_[A-Za-z0-9_]+$/,
    'That is not a Stripe secret or restricted key (sk_… or rk_…): copy the whole key from Stripe’s API keys page.',
  );

/** A credential check as a form answer: refused (422) or the vendor not answering (503, try again), naming the field. */
export function asFormError(err: unknown, field: string): unknown {
  if (err instanceof CredentialRejected) return new HttpError(422, 'credential_rejected', err.message, field);
  if (err instanceof CredentialCheckUnavailable) return new HttpError(503, 'upstream_unavailable', err.message, field);
  return err;
}

export type SignedIn = WebSession & { intercom: NonNullable<WebSession['intercom']> };

/** Fields whose refusal a page shows beside the field (any other error becomes the error page). */
const FORM_FIELDS = new Set(['stripeKey', 'intercomToken', 'url', 'customer', 'primary']);

/**
 * A refused key, token or URL as a form answer: the message in plain words with what to do, the typed value kept,
 * and the status (422 refused; 503 when the vendor could not be asked, so nothing is known about the value).
 */
function fieldErrorOf(err: unknown, values: Record<string, string>): { status: number; error: FieldError } | null {
  const { status, body } = mapError(err);
  const field = body.error.field;
  if (field === undefined || !FORM_FIELDS.has(field)) return null;
  if (status >= 500 && !(err instanceof HttpError && err.code === 'upstream_unavailable')) return null;
  const refusedWith = status === 422 ? /HTTP (\d{3})/.exec(body.error.message)?.[1] : undefined;
  const advice =
    refusedWith === '401'
      ? field === 'stripeKey'
        ? '. It is mistyped, was rolled or deleted, or belongs to another account: copy it again from Stripe’s API keys page.'
        : '. It is mistyped or was revoked: copy it again from your app in the Intercom Developer Hub.'
      : refusedWith === '403' && field === 'stripeKey'
        ? '. The key lacks a permission: give it every permission listed below.'
        : '';
  return { status, error: { field, message: `${body.error.message}${advice}`, value: values[field] ?? '' } };
}

/** What every page route needs: the session, the signed-in admin, their own installs, form errors beside fields. */
export interface PageKit {
  session(ctx: Context): WebSession;
  form(ctx: Context): Record<string, string>;
  signedIn(ctx: Context): SignedIn;
  header(current: SignedIn): Layout['signedIn'];
  /** An install of the signed-in admin's workspace; any other id is "not found" (no probing other workspaces). */
  ownInstall(ctx: Context): Promise<{ current: SignedIn; install: Install }>;
  /** Runs a form's work; a refused field re-renders the form with the error beside it and the value kept. */
  withFieldErrors(
    ctx: Context,
    work: () => Promise<void>,
    render: (error: FieldError) => Promise<string> | string,
  ): Promise<void>;
}

export function pageKit(service: InstallService): PageKit {
  const session = (ctx: Context): WebSession => (ctx.state as PageState).session;
  const form = (ctx: Context): Record<string, string> => (ctx.state as PageState).form;
  function signedIn(ctx: Context): SignedIn {
    const current = session(ctx);
    if (!current.intercom) throw new HttpError(401, 'signed_out', 'Your session has ended. Sign in again to continue.');
    return current as SignedIn;
  }
  return {
    session,
    form,
    signedIn,
    header: (current) => ({
      who: current.intercom.adminName,
      workspace: current.intercom.workspaceName,
      csrfToken: current.csrfToken,
    }),
    async ownInstall(ctx) {
      const current = signedIn(ctx);
      const id = String(ctx.params.id ?? '');
      const install = /^ins_[A-Za-z0-9_-]{1,40}$/.test(id) ? await service.find(id) : undefined;
      if (!install || install.intercomWorkspaceId !== current.intercom.workspaceId) {
        throw new HttpError(404, 'not_found', 'There is no such install for your Intercom workspace.', 'id');
      }
      return { current, install };
    },
    async withFieldErrors(ctx, work, render) {
      try {
        await work();
      } catch (err) {
        const refused = fieldErrorOf(err, form(ctx));
        if (!refused) throw err;
        ctx.status = refused.status;
        ctx.type = 'html';
        ctx.body = await render(refused.error);
      }
    },
  };
}
