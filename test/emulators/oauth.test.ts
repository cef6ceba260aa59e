import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { startIntercomEmulator, type IntercomEmulator } from '../../emulators/intercom';
import { startStripeEmulator, type StripeEmulator } from '../../emulators/stripe';

const redirectUri = 'https://sync.example.com/oauth/callback';

/** Presses a consent page's allow (or deny) button; returns the redirect's query. */
async function consent(url: string, fields: Record<string, string>): Promise<URLSearchParams> {
  const response = await fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get('location') ?? '');
  assert.equal(`${location.origin}${location.pathname}`, redirectUri);
  return location.searchParams;
}

describe('Stripe emulator: Stripe Apps OAuth', () => {
  let emulator: StripeEmulator;

  before(async () => {
    emulator = await startStripeEmulator({ port: 0, seed: 5, rateLimitPerSecond: 0 });
  });
  after(() => emulator.close());

  const token = (form: Record<string, string>, secret = emulator.oauth.secretKey) =>
    fetch(`${emulator.url}/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${secret}:`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });

  async function authorize(): Promise<string> {
    const page = await fetch(
      `${emulator.oauth.authorizeUrl}?client_id=${emulator.oauth.clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`,
    );
    assert.match(await page.text(), /Install app/);
    const query = await consent(emulator.oauth.authorizeUrl, {
      decision: 'allow',
      client_id: emulator.oauth.clientId,
      redirect_uri: redirectUri,
      state: 's1',
    });
    assert.equal(query.get('state'), 's1');
    return query.get('code') ?? '';
  }

  it('exchanges a code once for a 1-hour access token and a refresh token that rolls', async () => {
    const code = await authorize();
    const first = await token({ grant_type: 'authorization_code', code });
    assert.equal(first.status, 200);
    const tokens = (await first.json()) as Record<string, string | number | boolean>;
    assert.equal(tokens.stripe_user_id, emulator.accountId);
    assert.equal(tokens.expires_in, 3600);
    const stripe = new Stripe(String(tokens.access_token), {
      host: '127.0.0.1',
      port: emulator.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    assert.equal((await stripe.accounts.retrieveCurrent()).id, emulator.accountId);

    const refreshed = (await (
      await token({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) })
    ).json()) as Record<string, string>;
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    const stale = await token({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) });
    assert.equal(stale.status, 400);
    assert.equal(((await stale.json()) as { error: string }).error, 'invalid_grant');

    // An hour later the access token is expired; the rolled refresh token still gives a new one.
    emulator.admin.advanceClock(3600);
    await assert.rejects(stripe.accounts.retrieveCurrent(), /Expired API Key/);
    const later = await token({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token ?? '' });
    assert.equal(later.status, 200);
  });

  it('a code presented twice is refused and revokes what it produced; expired codes and wrong secrets fail', async () => {
    const code = await authorize();
    const tokens = (await (await token({ grant_type: 'authorization_code', code })).json()) as Record<string, string>;
    const again = await token({ grant_type: 'authorization_code', code });
    assert.equal(again.status, 400);
    const refresh = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' });
    assert.equal(refresh.status, 400, 'the connection made with the replayed code is revoked');

    const late = await authorize();
    emulator.admin.advanceClock(301);
    assert.equal((await token({ grant_type: 'authorization_code', code: late })).status, 400);
    assert.equal(
      (await token({ grant_type: 'authorization_code', code: await authorize() }, 'sk_live_wrong')).status,
      401,
    );
  });

  it('uninstalling from the dashboard revokes the tokens and emits account.application.deauthorized', async () => {
    const code = await authorize();
    const tokens = (await (await token({ grant_type: 'authorization_code', code })).json()) as Record<string, string>;
    const before = emulator.admin.state().events.length;
    const page = await fetch(`${emulator.url}/dashboard/apps/uninstall`, { method: 'POST', redirect: 'manual' });
    assert.equal(page.status, 302);
    const events = emulator.admin.state().events.slice(before);
    assert.deepEqual(
      events.map((event) => event.type),
      ['account.application.deauthorized'],
    );
    assert.equal((await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token ?? '' })).status, 400);
  });
});

describe('Intercom emulator: OAuth', () => {
  let emulator: IntercomEmulator;
  let workspaceId: string;

  before(async () => {
    emulator = await startIntercomEmulator({ port: 0 });
    workspaceId = emulator.createWorkspace({ name: 'Acme' }).workspaceId;
  });
  after(() => emulator.close());

  const exchange = (code: string) =>
    fetch(`${emulator.url}/auth/eagle/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        code,
        client_id: emulator.oauthApp.clientId,
        client_secret: emulator.oauthApp.clientSecret,
      }),
    });

  it('redirects back with a code that gives a working token once', async () => {
    const query = await consent(`${emulator.url}/oauth`, {
      decision: 'allow',
      client_id: emulator.oauthApp.clientId,
      redirect_uri: redirectUri,
      state: 'xyz',
      workspace_id: workspaceId,
    });
    assert.equal(query.get('state'), 'xyz');
    const first = await exchange(query.get('code') ?? '');
    assert.equal(first.status, 200);
    const { token } = (await first.json()) as { token: string };
    const me = await fetch(`${emulator.url}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await me.json()) as { app: { id_code: string } }).app.id_code, workspaceId);
    assert.equal((await exchange(query.get('code') ?? '')).status, 400);
  });

  it('Cancel redirects with error=access_denied', async () => {
    const query = await consent(`${emulator.url}/oauth`, {
      decision: 'deny',
      client_id: emulator.oauthApp.clientId,
      redirect_uri: redirectUri,
      state: 'xyz',
    });
    assert.equal(query.get('error'), 'access_denied');
  });
});
