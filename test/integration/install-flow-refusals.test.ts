import assert from 'node:assert/strict';
import { enableOAuth, FormBrowser, type PageResponse } from '../support/oauth-flow';
import { startTestStack, type TestStack } from '../support/stack';

/**
 * Issue 16's low rows about the browser flow: an outage is not a refusal, the OAuth callback does not repeat the
 * query's text, and the pasted-token sign-in is off once Intercom OAuth is set up.
 */
describe('install flow: outages and refusals say what happened', function () {
  this.timeout(120_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ worker: false });
  });
  after(async () => stack?.close());

  const assertPage = (page: PageResponse, status: number, message: RegExp) => {
    assert.equal(page.status, status, page.body.slice(0, 500));
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.body, message);
  };

  async function pasteCredentials(intercomToken: string): Promise<PageResponse> {
    const browser = new FormBrowser(stack.service.apiUrl);
    const start = await browser.get(`${stack.service.apiUrl}/app`);
    return browser.post(`${stack.service.apiUrl}/app/connect/keys`, {
      _csrf: browser.csrfOf(start),
      intercomToken,
      stripeKey: stack.stripe.keys.restricted,
    });
  }

  it('Intercom answering 503 reads "not answering, try again" (503), not "token rejected"', async () => {
    const token = stack.intercom.createWorkspace({ name: 'Outage' }).token;
    stack.intercom.setFaults({ failNext: { count: 1, status: 503, endpoint: 'GET /me' } });
    const page = await pasteCredentials(token);
    assertPage(page, 503, /Intercom could not be asked about the access token \(HTTP 503\); try again shortly/);
    assert.doesNotMatch(page.body, /rejected/);
    // A revoked token is still a refusal, naming it.
    const revoked = stack.intercom.createWorkspace({ name: 'Revoked' }).token;
    stack.intercom.revokeToken(revoked);
    assertPage(await pasteCredentials(revoked), 422, /Intercom rejected the access token \(HTTP 401\)/);
  });

  it('Stripe answering 500 reads "could not be asked, try again" (503), not an internal error', async () => {
    const token = stack.intercom.createWorkspace({ name: 'Stripe outage' }).token;
    stack.stripe.setFaults({ failureRate: 1 });
    try {
      assertPage(await pasteCredentials(token), 503, /Stripe could not be asked about the API key \(HTTP 500\)/);
    } finally {
      stack.stripe.setFaults({ failureRate: 0 });
    }
  });

  it('the OAuth callback quotes only OAuth error codes, never the text of the query', async () => {
    enableOAuth(stack);
    const browser = new FormBrowser(stack.service.apiUrl);
    const forged = await browser.get(
      `${stack.service.apiUrl}/oauth/intercom/callback?error=${encodeURIComponent('Call +1 555 0100 to restore access')}`,
    );
    assertPage(forged, 400, /Intercom did not grant access \(an unrecognised error\)\. Nothing was connected\./);
    assert.doesNotMatch(forged.body, /555 0100/);
    const cancelled = await browser.get(`${stack.service.apiUrl}/oauth/intercom/callback?error=access_denied`);
    assertPage(cancelled, 400, /Intercom did not grant access \(access_denied\)/);
  });

  it('with Intercom OAuth set up, the pasted-token sign-in is refused (it would bypass the consent)', async () => {
    enableOAuth(stack);
    const browser = new FormBrowser(stack.service.apiUrl);
    // The page has no pasted form then: post with a token from another page's session is what an attacker would do.
    Object.assign(stack.config, { INTERCOM_CLIENT_ID: undefined });
    const start = await browser.get(`${stack.service.apiUrl}/app`);
    enableOAuth(stack);
    const page = await browser.post(`${stack.service.apiUrl}/app/connect/keys`, {
      _csrf: browser.csrfOf(start),
      intercomToken: stack.intercom.createWorkspace().token,
      stripeKey: stack.stripe.keys.restricted,
    });
    assertPage(page, 404, /Sign in with Intercom instead/);
    assert.equal(
      (await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM web_sessions`)).rows[0]?.n,
      '0',
      'nobody signed in',
    );
  });
});
