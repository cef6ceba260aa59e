import assert from 'node:assert/strict';
import { enableOAuth, FormBrowser } from '../support/oauth-flow';
import { startTestStack, type TestStack } from '../support/stack';

const STARTS_PER_MINUTE = 5;

/**
 * Issue 16: every cookieless request to /install, /app or /oauth/*\/start once stored a session (and a state) and ran
 * unindexed sweeps; 3,000 requests left 4,000 rows. Now nothing is stored before someone signs in, OAuth starts are
 * rate-limited per address, and signing in gives the browser a new session id.
 */
describe('anonymous requests store nothing; sign-in rotates the session', function () {
  this.timeout(120_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ config: { OAUTH_STARTS_PER_MINUTE: STARTS_PER_MINUTE } });
    enableOAuth(stack);
  });
  after(async () => stack?.close());

  const rows = async () => {
    const result = await stack.db.pool.query<{ sessions: string; states: string }>(
      `SELECT (SELECT count(*) FROM web_sessions) AS sessions, (SELECT count(*) FROM oauth_states) AS states`,
    );
    return result.rows[0];
  };

  it('writes no row for 300 cookieless requests to the sign-in pages and OAuth starts', async () => {
    const paths = ['/install', '/app', '/app/preview', '/oauth/intercom/start', '/oauth/stripe/start', '/APP'];
    const statuses = new Map<string, Set<number>>();
    for (let index = 0; index < 300; index += 1) {
      const path = paths[index % paths.length] as string;
      const response = await fetch(`${stack.service.apiUrl}${path}`, { redirect: 'manual' });
      await response.arrayBuffer();
      statuses.set(path, (statuses.get(path) ?? new Set()).add(response.status));
    }
    assert.deepEqual(await rows(), { sessions: '0', states: '0' });
    // Each path still answered as it should: redirects to sign in, the sign-in page, 429 past the start limit.
    assert.ok(statuses.get('/install')?.has(302), JSON.stringify([...statuses]));
    assert.ok(statuses.get('/app')?.has(200));
    assert.ok(statuses.get('/oauth/intercom/start')?.has(302));
    assert.deepEqual([...(statuses.get('/APP') ?? [])], [404]);
  });

  it(`answers 429 with Retry-After past ${STARTS_PER_MINUTE} OAuth starts a minute from one address`, async () => {
    const response = await fetch(`${stack.service.apiUrl}/oauth/intercom/start`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    assert.equal(response.status, 429);
    assert.ok(Number(response.headers.get('retry-after')) >= 1);
    assert.match(await response.text(), /Too many sign-ins started from this address\. Nothing was started; try again/);
  });

  it('signing in (pasted credentials) stores one session under a new id; the anonymous cookie opens nothing', async () => {
    // The pasted-token form is the sign-in when Intercom OAuth is not configured.
    Object.assign(stack.config, { INTERCOM_CLIENT_ID: undefined, INTERCOM_CLIENT_SECRET: undefined });
    // A preview whose session ended long ago: its emails go at the next sign-in (they were never pruned).
    await stack.db.pool.query(
      `INSERT INTO preview_emails (preview_id, email_normalized, page, matched)
       VALUES ('preview:ses_ended:acct_1', 'someone@example.com', 1, false)`,
    );
    const browser = new FormBrowser(stack.service.apiUrl);
    const start = await browser.get(`${stack.service.apiUrl}/app`);
    const anonymousCookie = browser.cookie('sis_session');
    assert.ok(anonymousCookie);
    const preview = await browser.post(`${stack.service.apiUrl}/app/connect/keys`, {
      _csrf: browser.csrfOf(start),
      intercomToken: stack.intercom.createWorkspace({ name: 'Rotation' }).token,
      stripeKey: stack.stripe.keys.restricted,
    });
    assert.equal(preview.status, 200, preview.body);
    assert.match(preview.url, /\/app\/preview$/);
    const signedInCookie = browser.cookie('sis_session');
    assert.ok(signedInCookie && signedInCookie !== anonymousCookie, 'a new session id at sign-in');
    assert.equal((await rows())?.sessions, '1');
    const leftOver = await stack.db.pool.query(
      `SELECT 1 FROM preview_emails WHERE preview_id LIKE 'preview:ses_ended:%'`,
    );
    assert.equal(leftOver.rowCount, 0, "an ended session's preview emails are pruned");
    // Whoever held the cookie from before the sign-in (a fixed session) is not signed in.
    const fixed = await fetch(`${stack.service.apiUrl}/app/preview`, {
      headers: { cookie: `sis_session=${anonymousCookie}` },
      redirect: 'manual',
    });
    assert.equal(fixed.status, 401, 'the pre-sign-in cookie is signed out');
  });
});
