import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { stateSigner } from '../../src/auth/signing';
import { encryptionKeyBytes } from '../../src/config';
import { createSecretBox } from '../../src/crypto/secret-box';
import { freshStripeAccessToken } from '../../src/credentials/stripe-access';
import { importWorkflowId, syncWorkflowId } from '../../src/shared/ids';
import { enableOAuth, FormBrowser, type PageResponse } from '../support/oauth-flow';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { driftThroughApi } from '../support/faults';

describe('install flow: OAuth on both sides, sessions and state', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let workspaceId: string;

  before(async () => {
    stack = await startTestStack({ config: { ALLOW_TEST_MODE: false } });
    enableOAuth(stack);
    workspaceId = stack.intercom.createWorkspace({ name: 'Acme support' }).workspaceId;
    stack.stripe.admin.createCustomer({ email: 'ada@example.com', name: 'Ada' });
  });
  after(async () => stack?.close());

  const newBrowser = () => new FormBrowser(stack.service.apiUrl);
  const count = async (table: string) =>
    Number((await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);

  /** Presses the allow button of an emulated consent page; returns where the vendor redirects (code + state). */
  async function approve(authorizeUrl: string, fields: Record<string, string> = {}): Promise<string> {
    const consent = new URL(authorizeUrl);
    const response = await fetch(`${consent.origin}${consent.pathname}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        decision: 'allow',
        ...Object.fromEntries(consent.searchParams),
        ...fields,
      }).toString(),
    });
    return response.headers.get('location') ?? '';
  }

  /** Clicks "Install now" (our install URL) and approves in the emulated Intercom; stops at the redirect back to us. */
  async function intercomCallbackUrl(
    browser: FormBrowser,
    from = '/install',
    workspace = workspaceId,
  ): Promise<string> {
    const authorize = await browser.getUntil(`${stack.service.apiUrl}${from}`, /\/oauth\?/);
    return approve(authorize, { workspace_id: workspace });
  }

  async function stripeCallbackUrl(browser: FormBrowser): Promise<string> {
    return approve(await browser.getUntil(`${stack.service.apiUrl}/oauth/stripe/start`, /\/oauth\/v2\/authorize/));
  }

  async function signedIn(workspace = workspaceId): Promise<FormBrowser> {
    const browser = newBrowser();
    const page = await browser.get(await intercomCallbackUrl(browser, '/install', workspace));
    assert.equal(page.status, 200, page.body);
    assert.match(page.body, /Connect your Stripe account/);
    return browser;
  }

  /** The install ends `failed` with `reason`, and its status page says so. */
  async function assertFailedWithReason(browser: FormBrowser, installId: string, reason: RegExp): Promise<void> {
    const row = await eventually(
      async () => {
        const found = await stack.db.pool.query(`SELECT status, last_error FROM installs WHERE id = $1`, [installId]);
        return found.rows[0].status === 'failed' ? found.rows[0] : undefined;
      },
      60_000,
      'the install to fail',
    );
    assert.match(row.last_error, reason);
    const page = await browser.get(`${stack.service.apiUrl}/app/installs/${installId}`);
    assert.match(page.body, /Needs attention/);
    assert.match(page.body, reason);
  }

  const assertRefused = (page: PageResponse, status: number, message: RegExp) => {
    assert.equal(page.status, status, page.body);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.body, message);
  };

  // Before the Stripe-side uninstall below, which ends every connection of the emulated account.
  it('a revoked Intercom token fails the install, shown on its page, and nothing more is written', async () => {
    const otherWorkspace = stack.intercom.createWorkspace({ name: 'Beta support' }).workspaceId;
    const browser = await signedIn(otherWorkspace);
    const preview = await browser.get(await stripeCallbackUrl(browser));
    const status = await browser.post(`${stack.service.apiUrl}/app/install`, { _csrf: browser.csrfOf(preview) });
    const installId = /\/app\/installs\/(ins_[^/]+)$/.exec(status.url)?.[1] ?? '';
    assert.ok(installId, status.url);
    await eventually(
      async () => {
        const found = await stack.db.pool.query(`SELECT status FROM installs WHERE id = $1`, [installId]);
        return found.rows[0].status === 'live' ? true : undefined;
      },
      90_000,
      'the import to finish',
    );
    const sealed = (await stack.db.pool.query(`SELECT intercom_token_enc FROM installs WHERE id = $1`, [installId]))
      .rows[0].intercom_token_enc;
    stack.intercom.revokeToken(createSecretBox(encryptionKeyBytes(stack.config)).open(sealed));
    const contactsBefore = stack.intercom.workspace(otherWorkspace).contacts.length;
    stack.stripe.admin.createCustomer({ email: 'after.revoke@example.com', name: 'After Revoke' });
    await assertFailedWithReason(browser, installId, /Intercom rejected the access token/);
    assert.equal(stack.intercom.workspace(otherWorkspace).contacts.length, contactsBefore);
  });

  it('connecting Stripe a second time in one session wipes the grant it replaced (issue 16: it kept a live refresh token)', async () => {
    const browser = await signedIn();
    const latestGrant = async () =>
      (await stack.db.pool.query(`SELECT id FROM stripe_grants ORDER BY created_at DESC LIMIT 1`)).rows[0].id as string;
    assert.equal((await browser.get(await stripeCallbackUrl(browser))).status, 200);
    const first = await latestGrant();
    assert.equal((await browser.get(await stripeCallbackUrl(browser))).status, 200);
    const second = await latestGrant();
    assert.notEqual(second, first);
    const rows = await stack.db.pool.query(
      `SELECT id, status, access_token_enc = '' AS wiped FROM stripe_grants WHERE id = ANY($1) ORDER BY created_at`,
      [[first, second]],
    );
    assert.deepEqual(rows.rows, [
      { id: first, status: 'rejected', wiped: true },
      { id: second, status: 'active', wiped: false },
    ]);
  });

  it('signs in with Intercom, connects Stripe through OAuth, previews, installs', async () => {
    const browser = newBrowser();
    const first = await browser.get(`${stack.service.apiUrl}/install`);
    // The emulated Intercom authorize page, reached through our /oauth/intercom/start.
    assert.match(first.body, /Authorize access/);
    assert.ok(browser.visited.some((url) => url.includes('/oauth/intercom/start')));

    const connect = await signedIn();
    const preview = await connect.get(await stripeCallbackUrl(connect));
    assert.equal(preview.status, 200, preview.body);
    assert.match(preview.url, /\/app\/preview$/);
    const done = await eventually(
      async () => {
        const page = await connect.get(`${stack.service.apiUrl}/app/preview`);
        return page.body.includes('id="preview-counts"') ? page : undefined;
      },
      60_000,
      'the preview to finish',
    );
    // Every customer has its own email and none is in Acme support yet: each would become a new user.
    const customers = stack.stripe.admin.state().customers.length;
    assert.match(done.body, new RegExp(`data-count="customers">${customers}<`));
    assert.match(done.body, new RegExp(`data-count="toCreate">${customers}<`));

    const status = await connect.post(`${stack.service.apiUrl}/app/install`, { _csrf: connect.csrfOf(done) });
    assert.equal(status.status, 200, status.body);
    const installId = /\/app\/installs\/(ins_[^/]+)$/.exec(status.url)?.[1];
    assert.ok(installId, status.url);
    const grant = await stack.db.pool.query(`SELECT stripe_grant_id FROM installs WHERE id = $1`, [installId]);
    assert.match(grant.rows[0].stripe_grant_id, /^grt_/);
    await eventually(
      async () => {
        const view = (await connect.get(`${stack.service.apiUrl}/app/installs/${installId}/status.json`))
          .body as string;
        return JSON.parse(view).percent === 100 ? true : undefined;
      },
      90_000,
      'the import to finish',
    );
    assert.equal(stack.intercom.workspace(workspaceId).contacts.length, customers);

    // Another admin of the same workspace, signing in the same way, sees the same install.
    const second = newBrowser();
    const landed = await second.get(await intercomCallbackUrl(second));
    assert.match(landed.url, new RegExp(`/app/installs/${installId}$`));

    // Disconnect from the Stripe side: the app is uninstalled in the dashboard. Not within the install's own second:
    // Stripe dates events to the second, and classifyEvent takes an uninstall from that second for an earlier
    // connection's (this flow can finish within one second on a fast machine; an admin cannot).
    const created = (await stack.db.pool.query(`SELECT created_at FROM installs WHERE id = $1`, [installId])).rows[0]
      .created_at as Date;
    await eventually(
      async () => (stack.stripe.admin.now() > Math.floor(created.getTime() / 1000) ? true : undefined),
      5_000,
      "Stripe's clock to pass the install's second",
    );
    stack.stripe.oauth.uninstall();
    await eventually(
      async () => {
        const row = await stack.db.pool.query(`SELECT status FROM installs WHERE id = $1`, [installId]);
        return row.rows[0].status === 'disabled' ? true : undefined;
      },
      30_000,
      'the install to be disabled by account.application.deauthorized',
    );
    // Nothing that could reach Stripe again stays: the grant's tokens are wiped with the install's own secrets.
    await eventually(
      async () => {
        const grant = await stack.db.pool.query(
          `SELECT g.status, g.access_token_enc, g.refresh_token_enc FROM stripe_grants g
             JOIN installs i ON i.stripe_grant_id = g.id WHERE i.id = $1`,
          [installId],
        );
        const row = grant.rows[0] as { status: string; access_token_enc: string; refresh_token_enc: string };
        return row.status === 'rejected' && row.access_token_enc === '' && row.refresh_token_enc === ''
          ? true
          : undefined;
      },
      30_000,
      "the Stripe grant's tokens to be wiped",
    );
  });

  it('sets a signed HttpOnly SameSite=Lax session cookie and the security headers', async () => {
    const response = await fetch(`${stack.service.apiUrl}/app`);
    const cookie = response.headers.getSetCookie().join('\n');
    assert.match(cookie, /sis_session=[^;]+\.[^;]+;/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http locally; Secure only behind https');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.doesNotMatch(await response.text(), /<script>|<style>| style="/, 'no inline scripts or styles');
  });

  describe('refused OAuth returns: a clear page, nothing connected', () => {
    it('a forged state', async () => {
      const browser = newBrowser();
      const callback = new URL(await intercomCallbackUrl(browser));
      const state = callback.searchParams.get('state') ?? '';
      callback.searchParams.set('state', `${state.slice(0, 5)}${state[5] === 'A' ? 'B' : 'A'}${state.slice(6)}`);
      assertRefused(await browser.get(callback.toString()), 400, /not issued by this service/);
      assert.match((await browser.get(`${stack.service.apiUrl}/app`)).body, /Sign in with Intercom/);
    });

    it('a state from another browser session', async () => {
      const callback = await intercomCallbackUrl(newBrowser());
      assertRefused(await newBrowser().get(callback), 400, /started in another browser/);
    });

    it('an expired state (older than 10 minutes)', async () => {
      const browser = newBrowser();
      await browser.get(`${stack.service.apiUrl}/app`);
      const cookieId = stateOfCookie(browser);
      const sessionHash = createHash('sha256').update(cookieId).digest('base64url');
      const payload = { n: 'expired-nonce', p: 'intercom', s: sessionHash, e: Date.now() - 1000 };
      const state = stateSigner(stack.config).sign(Buffer.from(JSON.stringify(payload)).toString('base64url'));
      const page = await browser.get(`${stack.service.apiUrl}/oauth/intercom/callback?code=x&state=${state}`);
      assertRefused(page, 400, /expired/);
    });

    it('a replayed state (its redirect used twice)', async () => {
      const browser = newBrowser();
      const callback = await intercomCallbackUrl(browser);
      assert.equal((await browser.get(callback)).status, 200);
      assertRefused(await browser.get(callback), 400, /already been used/);
    });

    it('a reused Intercom code', async () => {
      const browser = newBrowser();
      const used = new URL(await intercomCallbackUrl(browser));
      assert.equal((await browser.get(used.toString())).status, 200);
      const fresh = new URL(await intercomCallbackUrl(browser, '/oauth/intercom/start'));
      fresh.searchParams.set('code', used.searchParams.get('code') ?? '');
      assertRefused(await browser.get(fresh.toString()), 400, /Intercom refused the sign-in code/);
    });

    it('a reused Stripe code: refused, the connection it made revoked, nothing installed', async () => {
      const installsBefore = await count('installs');
      const browser = await signedIn();
      const used = new URL(await stripeCallbackUrl(browser));
      assert.equal((await browser.get(used.toString())).status, 200);
      const grant = (await stack.db.pool.query(`SELECT id FROM stripe_grants ORDER BY created_at DESC LIMIT 1`))
        .rows[0];
      const fresh = new URL(await stripeCallbackUrl(browser));
      fresh.searchParams.set('code', used.searchParams.get('code') ?? '');
      assertRefused(await browser.get(fresh.toString()), 400, /Stripe refused the authorization/);
      // The session no longer holds a Stripe connection: the page asks for one again.
      assert.match((await browser.get(`${stack.service.apiUrl}/app`)).body, /Connect your Stripe account/);
      // Stripe revoked the tokens the code had produced.
      const secrets = createSecretBox(encryptionKeyBytes(stack.config));
      await stack.db.pool.query(`UPDATE stripe_grants SET access_expires_at = now() WHERE id = $1`, [grant.id]);
      await assert.rejects(freshStripeAccessToken(stack.db.pool, secrets, stack.config, grant.id), /refused to renew/);
      assert.equal(await count('installs'), installsBefore);
    });

    it('Cancel on the consent page', async () => {
      const browser = newBrowser();
      const authorize = new URL(await browser.getUntil(`${stack.service.apiUrl}/install`, /\/oauth\?/));
      const callback = `${stack.service.apiUrl}/oauth/intercom/callback?error=access_denied&state=${authorize.searchParams.get('state')}`;
      assertRefused(await browser.get(callback), 400, /did not grant access/);
    });
  });

  describe('Stripe refresh tokens', () => {
    async function connectedGrant(): Promise<string> {
      const browser = await signedIn();
      await browser.get(await stripeCallbackUrl(browser));
      return (await stack.db.pool.query(`SELECT id FROM stripe_grants ORDER BY created_at DESC LIMIT 1`)).rows[0].id;
    }

    it('refreshes once under concurrent callers and stores the rolled refresh token', async () => {
      const grantId = await connectedGrant();
      const secrets = createSecretBox(encryptionKeyBytes(stack.config));
      const before = (await stack.db.pool.query(`SELECT * FROM stripe_grants WHERE id = $1`, [grantId])).rows[0];
      await stack.db.pool.query(`UPDATE stripe_grants SET access_expires_at = now() WHERE id = $1`, [grantId]);
      const tokens = await Promise.all(
        Array.from({ length: 5 }, () => freshStripeAccessToken(stack.db.pool, secrets, stack.config, grantId)),
      );
      assert.equal(new Set(tokens).size, 1, 'one refresh: every caller got the same access token');
      assert.notEqual(tokens[0], secrets.open(before.access_token_enc));
      const after = (await stack.db.pool.query(`SELECT * FROM stripe_grants WHERE id = $1`, [grantId])).rows[0];
      assert.notEqual(secrets.open(after.refresh_token_enc), secrets.open(before.refresh_token_enc));
      assert.ok(after.access_expires_at.getTime() > Date.now() + 50 * 60_000);
      // The stored (rolled) refresh token works: another refresh succeeds.
      await stack.db.pool.query(`UPDATE stripe_grants SET access_expires_at = now() WHERE id = $1`, [grantId]);
      assert.ok(await freshStripeAccessToken(stack.db.pool, secrets, stack.config, grantId));
    });

    it('a rejected refresh token fails the install with a clear reason, shown on the status page', async () => {
      const browser = await signedIn();
      const preview = await browser.get(await stripeCallbackUrl(browser));
      const status = await browser.post(`${stack.service.apiUrl}/app/install`, { _csrf: browser.csrfOf(preview) });
      const installId = /\/app\/installs\/(ins_[^/]+)$/.exec(status.url)?.[1] ?? '';
      assert.ok(installId, status.url);
      // Stop its workflows without disabling it (a disable wipes the credentials this test needs), then pretend live.
      for (const workflowId of [syncWorkflowId(installId), importWorkflowId(installId)]) {
        await stack.service.temporal.workflow
          .getHandle(workflowId)
          .terminate('test: start from a live install')
          .catch(() => undefined);
      }
      await stack.db.pool.query(`UPDATE installs SET status = 'live' WHERE id = $1`, [installId]);
      // Stripe no longer honours the refresh token (e.g. revoked), and the access token is due for renewal.
      const secrets = createSecretBox(encryptionKeyBytes(stack.config));
      await stack.db.pool.query(
        `UPDATE stripe_grants SET refresh_token_enc = $2, access_expires_at = now()
         WHERE id = (SELECT stripe_grant_id FROM installs WHERE id = $1)`,
        [installId, secrets.seal('rt_not_known_to_stripe')],
      );
      const resync = await stack.api(`/installs/${installId}/resync`, { method: 'POST' });
      assert.ok(resync.status < 300, await resync.text());
      await assertFailedWithReason(browser, installId, /Stripe refused to renew access/);

      // Issue 16: "Connect Stripe again" (what the message asks) attaches the new grant, wipes the old one and clears
      // `failed`; once stored the 1-hour access token as the install's key and left the new grant unattached.
      const grantOf = async () =>
        (await stack.db.pool.query(`SELECT stripe_grant_id FROM installs WHERE id = $1`, [installId])).rows[0]
          .stripe_grant_id as string;
      const oldGrant = await grantOf();
      const again = await browser.get(await stripeCallbackUrl(browser));
      const reinstalled = await browser.post(`${stack.service.apiUrl}/app/install`, { _csrf: browser.csrfOf(again) });
      assert.match(reinstalled.url, new RegExp(`/app/installs/${installId}$`), 'the same install, reconnected');
      const newGrant = await grantOf();
      assert.match(newGrant, /^grt_/);
      assert.notEqual(newGrant, oldGrant, 'the new grant is attached');
      const retired = (
        await stack.db.pool.query(
          `SELECT status, access_token_enc, refresh_token_enc FROM stripe_grants WHERE id = $1`,
          [oldGrant],
        )
      ).rows[0];
      assert.deepEqual(retired, { status: 'rejected', access_token_enc: '', refresh_token_enc: '' });
      await eventually(
        async () => {
          const found = await stack.db.pool.query(
            `SELECT i.status, i.last_error, (SELECT status FROM imports WHERE install_id = i.id
               ORDER BY started_at DESC LIMIT 1) AS import_status
             FROM installs i WHERE i.id = $1`,
            [installId],
          );
          const row = found.rows[0];
          if (row.status === 'live' && row.last_error === null && row.import_status === 'completed') return true;
          // Thrown, not returned: a timeout then says where the install stood.
          throw new Error(`install ${JSON.stringify(row)}`);
        },
        90_000,
        'the reconnected install to import again (to completion) and be live',
      );
      // An hour later the access token is renewed from the new grant's refresh token: the install keeps working.
      await stack.db.pool.query(`UPDATE stripe_grants SET access_expires_at = now() WHERE id = $1`, [newGrant]);
      // 200 while the reconnect's import is still closing (that running import is reused): ask until one starts.
      await eventually(
        async () =>
          (await stack.api(`/installs/${installId}/resync`, { method: 'POST' })).status === 202 ? true : undefined,
        60_000,
        'a resync to start',
      );
      await eventually(
        async () => {
          const found = await stack.db.pool.query(
            `SELECT i.status, g.refreshed_at FROM installs i JOIN stripe_grants g ON g.id = i.stripe_grant_id
             WHERE i.id = $1`,
            [installId],
          );
          const row = found.rows[0];
          return row.status === 'live' && row.refreshed_at !== null ? true : undefined;
        },
        90_000,
        'the resync to run on a refreshed access token',
      );
      // Drift (and `npm run reconcile`) read Stripe with a fresh access token too, not the one stored at install time:
      // two hours on, Stripe refuses every token issued so far.
      stack.stripe.admin.advanceClock(2 * 3600);
      await stack.db.pool.query(`UPDATE stripe_grants SET access_expires_at = now() WHERE id = $1`, [newGrant]);
      const drift = await driftThroughApi(stack, installId);
      assert.equal(drift.state, 'done');
    });
  });

  function stateOfCookie(browser: FormBrowser): string {
    const signed = browser.cookie('sis_session') ?? '';
    return signed.slice(0, signed.lastIndexOf('.'));
  }
});
