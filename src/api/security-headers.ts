import type { Middleware } from 'koa';

/**
 * Headers on every response. The pages load only their own stylesheet and script (no inline code), cannot be framed
 * (clickjacking on Disconnect), and never leak a URL (OAuth callbacks carry codes) through the Referer header.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** HSTS for a year once served over HTTPS (https://developer.mozilla.org/docs/Web/HTTP/Headers/Strict-Transport-Security). */
const HSTS = 'max-age=31536000; includeSubDomains';

/**
 * `no-store` unless a route says otherwise (the static assets): pages and answers carry customer emails, install
 * state and CSRF tokens, which a shared or back-button cache must not keep. HSTS when PUBLIC_URL is https: the TLS
 * proxy in front terminates it, so the browser must be told to never come back over plain HTTP.
 */
export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.set({
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
      ...(options.https && { 'Strict-Transport-Security': HSTS }),
    });
    await next();
  };
}
