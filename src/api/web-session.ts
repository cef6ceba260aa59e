import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config';
import type { Context, Middleware } from 'koa';
import { SESSION_COOKIE, SESSION_TTL_MS, type SessionStore, type WebSession } from '../auth/sessions';
import { HttpError } from './errors';
import { readFormBody } from './json-body';

/** What the install pages find on ctx.state. */
export interface PageState {
  session: WebSession;
  /** The posted form, read (once) by requireCsrf. */
  form: Record<string, string>;
  htmlErrors: boolean;
}

/**
 * Loads the browser's session, starting an anonymous one (a cookie, nothing stored) when there is none: OAuth state
 * and CSRF tokens are bound to it. Cookie: signed, HttpOnly, SameSite=Lax (the OAuth redirects back are top-level GETs), Secure when
 * the service is served over HTTPS.
 */
export function webSession(store: SessionStore, config: Pick<Config, 'PUBLIC_URL'>): Middleware {
  return async (ctx, next) => {
    const state = ctx.state as PageState;
    state.htmlErrors = true;
    const existing = await store.load(ctx.cookies.get(SESSION_COOKIE));
    if (existing) {
      state.session = existing;
    } else {
      const started = store.start();
      state.session = started.session;
      setSessionCookie(ctx, started.cookie, config);
    }
    await next();
  };
}

export function setSessionCookie(ctx: Context, value: string | null, config: Pick<Config, 'PUBLIC_URL'>): void {
  // Written by hand: behind a TLS-terminating proxy Koa sees plain HTTP and would refuse a Secure cookie.
  const attributes = [
    `${SESSION_COOKIE}=${value ?? ''}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${value === null ? 0 : Math.floor(SESSION_TTL_MS / 1000)}`,
    ...(config.PUBLIC_URL.startsWith('https:') ? ['Secure'] : []),
  ];
  ctx.append('Set-Cookie', attributes.join('; '));
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Form posts must carry the session's CSRF token and, when the browser sends one, our own Origin: a page elsewhere
 * cannot make a signed-in admin resync or disconnect.
 */
export function requireCsrf(config: Pick<Config, 'PUBLIC_URL'>): Middleware {
  return async (ctx, next) => {
    const state = ctx.state as PageState;
    const presentedOrigin = ctx.get('origin');
    // Ours is PUBLIC_URL's origin, or the host the browser addressed (a browser sets Host; a page elsewhere cannot).
    // Not `ctx.origin`: in Koa 3 that is the request's own Origin header, so comparing with it never refused anything.
    const ours = [new URL(config.PUBLIC_URL).origin, `${ctx.protocol}://${ctx.host}`];
    if (presentedOrigin && presentedOrigin !== 'null' && !ours.includes(presentedOrigin)) {
      throw new HttpError(403, 'csrf_rejected', 'This form was sent from another site, so it was ignored.', 'origin');
    }
    state.form = await readFormBody(ctx);
    const token = state.form._csrf ?? '';
    if (!timingSafeEqual(digest(token), digest(state.session.csrfToken))) {
      throw new HttpError(
        403,
        'csrf_rejected',
        'This form has expired or was not sent from this page. Reload the page and try again.',
        '_csrf',
      );
    }
    await next();
  };
}
