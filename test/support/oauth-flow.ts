import assert from 'node:assert/strict';
import type { PreviewProgress } from '../../src/shared/preview';
import { eventually, type TestStack } from './stack';

/** Points the running stack's configuration at the emulators' OAuth apps (read per request, so this takes effect now). */
export function enableOAuth(stack: TestStack): void {
  Object.assign(stack.config, {
    INTERCOM_CLIENT_ID: stack.intercom.oauthApp.clientId,
    INTERCOM_CLIENT_SECRET: stack.intercom.oauthApp.clientSecret,
    INTERCOM_OAUTH_URL: stack.intercom.oauthUrl,
    STRIPE_APP_CLIENT_ID: stack.stripe.oauth.clientId,
    STRIPE_APP_SECRET_KEY: stack.stripe.oauth.secretKey,
    STRIPE_OAUTH_AUTHORIZE_URL: stack.stripe.oauth.authorizeUrl,
  });
  stack.intercom.oauthApp.installUrl = `${stack.service.apiUrl}/install`;
}

export interface PageResponse {
  status: number;
  url: string;
  body: string;
  headers: Headers;
}

/**
 * A minimal browser for HTTP-level tests of the install flow: follows redirects across hosts, keeps the service's
 * cookies (only the service sets any), submits forms as `application/x-www-form-urlencoded`.
 */
export class FormBrowser {
  private cookies = new Map<string, string>();
  /** Every URL visited, in order (redirect hops included). */
  readonly visited: string[] = [];

  constructor(private readonly serviceOrigin: string) {}

  async get(url: string): Promise<PageResponse> {
    return this.request(url, { method: 'GET' });
  }

  /** `headers`: what a browser adds, e.g. the `origin` of the page the form was on. */
  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<PageResponse> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** Stops at the first redirect whose target matches `pattern`, without following it (to capture OAuth URLs). */
  async getUntil(url: string, pattern: RegExp): Promise<string> {
    let next = url;
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await this.fetchOnce(next, { method: 'GET' });
      const location = response.headers.get('location');
      if (!location)
        throw new Error(`no redirect matching ${pattern} from ${url} (stopped at ${next}, ${response.status})`);
      next = new URL(location, next).toString();
      if (pattern.test(next)) return next;
    }
    throw new Error('too many redirects');
  }

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Carries a cookie the test made (e.g. a session signed in without the sign-in pages). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  csrfOf(page: PageResponse): string {
    const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!match?.[1]) throw new Error(`no CSRF token on ${page.url}`);
    return match[1];
  }

  private async request(url: string, init: RequestInit): Promise<PageResponse> {
    let next = url;
    let current = init;
    for (let hop = 0; hop < 15; hop += 1) {
      const response = await this.fetchOnce(next, current);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        next = new URL(location, next).toString();
        current = { method: 'GET' };
        continue;
      }
      return { status: response.status, url: next, body: await response.text(), headers: response.headers };
    }
    throw new Error('too many redirects');
  }

  private async fetchOnce(url: string, init: RequestInit): Promise<Response> {
    this.visited.push(url);
    const ours = url.startsWith(this.serviceOrigin);
    const headers = new Headers(init.headers);
    if (ours && this.cookies.size > 0) {
      headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    if (ours) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const [name = '', value = ''] = pair.split('=');
        if (/Max-Age=0/.test(line)) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    return response;
  }
}

/**
 * The install page's pasted-credential form (Intercom token, the emulator's restricted Stripe key), then the preview it
 * leads to, until it is no longer reading: the browser (its session goes on to install) and the preview's result.
 */
export async function previewWithPastedKeys(
  stack: TestStack,
  intercomToken: string,
  timeoutMs = 120_000,
): Promise<{ browser: FormBrowser; result: PreviewProgress }> {
  const origin = stack.service.apiUrl;
  const browser = new FormBrowser(origin);
  const start = await browser.get(`${origin}/install`);
  assert.match(start.body, /Paste an Intercom access token/);
  const preview = await browser.post(`${origin}/app/connect/keys`, {
    _csrf: browser.csrfOf(start),
    intercomToken,
    intercomRegion: 'us',
    stripeKey: stack.stripe.keys.restricted,
  });
  assert.match(preview.url, /\/app\/preview$/, preview.body);
  const result = await eventually(
    async () => {
      const body = JSON.parse((await browser.get(`${origin}/app/preview.json`)).body) as PreviewProgress;
      return body.phase === 'reading' ? undefined : body;
    },
    timeoutMs,
    'the preview to finish',
  );
  return { browser, result };
}
